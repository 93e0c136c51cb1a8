/**
 * The identifier rule, the one definition every id column of an export is checked against (customer_id,
 * customer_unique_id, order_id, product_id, review_id, seller_id) and that the store and `segments forget` apply to
 * a customer id:
 *
 *   1 to 64 characters, each an ASCII letter, a digit, `_` or `-`, the first not `-`.
 *
 * Why this set: the Olist ids are 32 lowercase hex characters, and other shops' ids (order numbers, UUIDs, slugs)
 * fit too. An id that passes can never shift a CSV column or row (no comma, quote or line end), never starts a
 * spreadsheet formula (no leading `=`, `+`, `-`, `@`, tab or CR), so it is written unchanged into every output, and
 * always fits DynamoDB's key limits (`CUSTOMER#<id>` and the index sort key stay far below 1,024 bytes). Anything
 * else is an invalid row of the file (located, under the row tolerance), never something found out later.
 */
export const ID_MAX_LENGTH = 64;

/** In words, for error messages and the docs. */
export const ID_RULE = `an identifier: 1 to ${ID_MAX_LENGTH} letters, digits, _ or - (not starting with -)`;

// A lookup table rather than a RegExp: every id field of every row goes through here (about 600,000 on the Olist export).
const ALLOWED = new Uint8Array(128);
for (let c = 48; c <= 57; c++) ALLOWED[c] = 1; // 0-9
for (let c = 65; c <= 90; c++) ALLOWED[c] = 1; // A-Z
for (let c = 97; c <= 122; c++) ALLOWED[c] = 1; // a-z
ALLOWED[95] = 1; // _
ALLOWED[45] = 1; // -
const DASH = 45;

export function isValidId(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > ID_MAX_LENGTH || s.charCodeAt(0) === DASH) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || ALLOWED[c] === 0) return false;
  }
  return true;
}
