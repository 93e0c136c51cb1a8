/**
 * The time axis of the maintenance simulation: where it starts, its rolling origins and the dates it measures.
 */
import { DAY_MS } from '../features/customerFeatures';
import { ORDER_STATUSES } from '../olist/tables';
import { OlistData } from '../olist/load';

/** The default first origin: when this share of the final customer base already has a delivered order. */
export const START_SHARE = 0.05;

/**
 * Default first origin: the first midnight (UTC) by which START_SHARE of the customers present at `end` have
 * a row, i.e. a delivered order (counted from its delivery date, as computeFeatures counts it).
 */
export function defaultStart(data: OlistData, end: number): number {
  const ord = data.orders;
  const delivered = ORDER_STATUSES.indexOf('delivered');
  const from = new Float64Array(data.customerIds.length).fill(Infinity);
  for (let o = 0; o < ord.count; o++) {
    if (ord.status[o] !== delivered) continue;
    const d = ord.delivered[o];
    const t = Number.isNaN(d) ? ord.purchase[o] : Math.max(ord.purchase[o], d);
    if (t <= end && t < from[ord.customer[o]]) from[ord.customer[o]] = t;
  }
  const times = from.filter((t) => Number.isFinite(t)).sort();
  if (!times.length) throw new Error('no delivered order before the end of the data');
  const need = Math.max(50, Math.ceil(START_SHARE * times.length));
  return Math.ceil(times[Math.min(times.length, need) - 1] / DAY_MS) * DAY_MS;
}

/** Origins every `everyDays` from start, as long as `minHorizonDays` of data follow. */
export function rollingOrigins(start: number, end: number, everyDays: number, minHorizonDays: number): number[] {
  const out: number[] = [];
  for (let t = start; t + minHorizonDays * DAY_MS <= end; t += everyDays * DAY_MS) out.push(t);
  return out;
}
