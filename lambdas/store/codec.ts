/**
 * Plain JS values <-> DynamoDB AttributeValues, with numbers that survive a round trip exactly.
 *
 * A JS number is written as the shortest decimal string that parses back to the same double
 * (`String(n)`), expanded out of exponent notation, so DynamoDB stores exactly that decimal and
 * `Number(stored)` gives the same double back. DynamoDB cannot store NaN, +-Infinity or magnitudes
 * outside 1e-130 .. 1e126: those are refused with the attribute path instead of being silently changed.
 * (-0 is stored as 0, the only value that does not round-trip bit for bit.)
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

export class UnstorableValueError extends Error {
  constructor(path: string, reason: string) {
    super(`cannot store ${path} in DynamoDB: ${reason}`);
    this.name = 'UnstorableValueError';
  }
}

/** The decimal string DynamoDB gets for a JS number (no exponent notation, exact round trip). */
export function toDynamoNumber(n: number, path = 'value'): string {
  if (!Number.isFinite(n)) throw new UnstorableValueError(path, `${n} is not a finite number`);
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs < 1e-130 || abs >= 1e126) throw new UnstorableValueError(path, `${n} is outside DynamoDB's number range`);
  const s = String(n);
  if (!s.includes('e')) return s;
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = '', expText] = m;
  const digits = lead + frac;
  const point = 1 + Number(expText);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

export function marshallValue(value: unknown, path = 'value'): AttributeValue {
  if (value === null) return { NULL: true };
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'number':
      return { N: toDynamoNumber(value, path) };
    case 'boolean':
      return { BOOL: value };
    case 'object': {
      if (Array.isArray(value)) {
        return {
          L: value.map((v, i) => {
            if (v === undefined) throw new UnstorableValueError(`${path}[${i}]`, 'undefined in a list');
            return marshallValue(v, `${path}[${i}]`);
          }),
        };
      }
      if (value instanceof Uint8Array) return { B: value };
      return { M: marshallItem(value as Record<string, unknown>, path) };
    }
    default:
      throw new UnstorableValueError(path, `unsupported type ${typeof value}`);
  }
}

/** Marshal an object's own properties; `undefined` properties are left out (as JSON does). */
export function marshallItem(obj: Record<string, unknown>, path = 'item'): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out[k] = marshallValue(v, `${path}.${k}`);
  }
  return out;
}

export function unmarshallValue(av: AttributeValue): unknown {
  if (av.S !== undefined) return av.S;
  if (av.N !== undefined) return Number(av.N);
  if (av.BOOL !== undefined) return av.BOOL;
  if (av.NULL !== undefined) return null;
  if (av.L !== undefined) return av.L.map(unmarshallValue);
  if (av.M !== undefined) return unmarshallItem(av.M);
  if (av.B !== undefined) return av.B;
  if (av.SS !== undefined) return [...av.SS];
  if (av.NS !== undefined) return av.NS.map(Number);
  if (av.BS !== undefined) return [...av.BS];
  throw new Error(`unknown AttributeValue ${JSON.stringify(av)}`);
}

export function unmarshallItem(item: Item): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [k, v] of Object.entries(item)) out[k] = unmarshallValue(v);
  return out;
}
