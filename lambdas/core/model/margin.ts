/**
 * The margin of an assignment and the borderline threshold, in a module without dependencies: the store, the CLI's
 * help (specs.ts, which must load nothing heavy) and the pages quote the same numbers (computed in model/explain.ts).
 */

/**
 * Customers with a margin below this are borderline: the runner-up's centroid is less than ~5% further away than their
 * own (1 / (1 - 0.05)). They carry the keys of the borderline index (GSI2), the only ones `query --borderline` lists,
 * so the threshold sets its write cost: on the real Olist export 7.6% of the customers (15% below 0.1, 31% below 0.2).
 */
export const BORDERLINE_MARGIN = 0.05;

/** Margins are stored and sorted at 4 decimals. */
export const MARGIN_DECIMALS = 4;

export const MARGIN_RULE =
  'margin = 1 - (distance to the own segment’s centre) / (distance to the next nearest centre), in the model’s weighted space: 0 = halfway between the two, 1 = on its own centre';
