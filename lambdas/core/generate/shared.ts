/** Small definitions shared by the calibration script (scripts/calibrate.ts) and the generator, so both bucket data the same way. */

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

/** 'YYYY-MM-DD HH:MM:SS' (UTC by convention; the export has no zone) to epoch ms. */
export function parseTimestamp(s: string): number {
  return Date.UTC(+s.slice(0, 4), +s.slice(5, 7) - 1, +s.slice(8, 10), +s.slice(11, 13) || 0, +s.slice(14, 16) || 0, +s.slice(17, 19) || 0);
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const dateCache = new Map<number, string>();

/** Epoch ms to 'YYYY-MM-DD HH:MM:SS' (seconds truncated). Hot in the generator, hence the per-day cache. */
export function formatTimestamp(ms: number): string {
  const day = Math.floor(ms / DAY);
  let date = dateCache.get(day);
  if (date === undefined) {
    date = new Date(day * DAY).toISOString().slice(0, 10);
    if (dateCache.size < 100_000) dateCache.set(day, date);
  }
  const sec = Math.floor((ms - day * DAY) / 1000);
  return `${date} ${TWO_DIGITS[Math.floor(sec / 3600)]}:${TWO_DIGITS[Math.floor(sec / 60) % 60]}:${TWO_DIGITS[sec % 60]}`;
}

export const dayOf = (ms: number): number => Math.floor(ms / DAY) * DAY;

/** Delivery outcome buckets of the review-score model; days = (estimated - delivered), late when negative. */
export const OUTCOME_BUCKETS = ['notDelivered', 'early10+', 'early5to10', 'early0to5', 'late0to3', 'late3to10', 'late10+'] as const;
export type OutcomeBucket = (typeof OUTCOME_BUCKETS)[number];

export function outcomeBucket(delivered: number | undefined, estimated: number): OutcomeBucket {
  if (delivered === undefined) return 'notDelivered';
  const d = (estimated - delivered) / DAY;
  if (d > 10) return 'early10+';
  if (d > 5) return 'early5to10';
  if (d >= 0) return 'early0to5';
  if (d >= -3) return 'late0to3';
  if (d >= -10) return 'late3to10';
  return 'late10+';
}

/** Order-value bucket bounds (BRL) for the credit-card installments distribution. */
export const VALUE_BUCKETS = [50, 100, 200, 500];
export const valueBucket = (brl: number): number => VALUE_BUCKETS.filter((b) => brl >= b).length;

/** Single-letter codes of the payment types used in the payment-pattern histogram ("cvv" = card then 2 vouchers). */
export const PAYMENT_CODES: Record<string, string> = { credit_card: 'c', boleto: 'b', voucher: 'v', debit_card: 'd', not_defined: 'n' };
