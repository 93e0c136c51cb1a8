/**
 * customer_state is free text in the file. The product keeps one of Brazil's 27 federative units (UF codes) per
 * person, or "other" (any other text, counted and reported by the loader) or "unknown" (empty): a bounded value
 * whatever the export holds, so the states chart and the facts handed to training never grow with the file
 * (100,000 distinct texts stay 29 bars at most).
 */
export const BRAZIL_STATES = ['AC', 'AL', 'AM', 'AP', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MG', 'MS', 'MT', 'PA', 'PB', 'PE', 'PI', 'PR', 'RJ', 'RN', 'RO', 'RR', 'RS', 'SC', 'SE', 'SP', 'TO'] as const;

/** Code of a state text that is not a UF code. */
export const OTHER_STATE = BRAZIL_STATES.length;
/** Code of an empty state. */
export const UNKNOWN_STATE = OTHER_STATE + 1;
/** Names of the codes, in code order. */
export const STATE_NAMES: readonly string[] = [...BRAZIL_STATES, 'other', 'unknown'];

const CODES = new Map<string, number>(BRAZIL_STATES.map((s, i) => [s, i]));

/** The code of a customer_state text (surrounding spaces and letter case ignored: " sp" is SP). */
export function stateCode(raw: string): number {
  if (raw === '') return UNKNOWN_STATE;
  const direct = CODES.get(raw);
  if (direct !== undefined) return direct;
  const t = raw.trim();
  return t === '' ? UNKNOWN_STATE : t.length === 2 ? (CODES.get(t.toUpperCase()) ?? OTHER_STATE) : OTHER_STATE;
}
