/** Append-only typed arrays for loading tables of unknown length without boxing every value. */
type TypedArray = Float64Array | Int32Array | Uint8Array;
type TypedArrayCtor<T extends TypedArray> = { new (length: number): T };

export class Growable<T extends TypedArray> {
  private buf: T;
  length = 0;

  constructor(
    private readonly ctor: TypedArrayCtor<T>,
    capacity = 1024,
  ) {
    this.buf = new ctor(capacity);
  }

  push(v: number): number {
    if (this.length === this.buf.length) {
      const next = new this.ctor(this.buf.length * 2);
      next.set(this.buf as never);
      this.buf = next;
    }
    this.buf[this.length] = v;
    return this.length++;
  }

  /** Overwrites an entry already pushed. */
  set(i: number, v: number): void {
    this.buf[i] = v;
  }

  /** The filled part, trimmed to its length (a copy, so the growth slack is released). */
  toArray(): T {
    return this.buf.slice(0, this.length) as T;
  }
}
