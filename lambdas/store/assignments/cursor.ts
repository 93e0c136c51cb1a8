/** The opaque cursors of the member listings: base64url JSON of whatever state a listing needs to continue. */
import { InvalidCursorError } from '../errors';

export function encodeCursor(state: object): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

/** The decoded JSON, unchecked (the listing validates its own shape); `listing` names it in the error. */
export function parseCursor(cursor: string, listing: string): any {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(`not a cursor returned by ${listing}`);
  }
}
