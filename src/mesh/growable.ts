/** Append-only typed arrays that double their storage, so that building a mesh allocates O(log n) times. */

export class GrowableFloat32 {
  private _data: Float32Array<ArrayBuffer>;
  private _length = 0;

  constructor(capacity = 1024) {
    this._data = new Float32Array(Math.max(capacity, 16));
  }

  get length(): number {
    return this._length;
  }

  push(a: number): void {
    if (this._length + 1 > this._data.length) this._grow();
    this._data[this._length++] = a;
  }

  push3(a: number, b: number, c: number): void {
    if (this._length + 3 > this._data.length) this._grow();
    const d = this._data;
    d[this._length] = a;
    d[this._length + 1] = b;
    d[this._length + 2] = c;
    this._length += 3;
  }

  /** The values so far, without copying; valid until the next push. */
  view(): Float32Array<ArrayBuffer> {
    return this._data.subarray(0, this._length);
  }

  /** A copy trimmed to the length. */
  toArray(): Float32Array<ArrayBuffer> {
    return this._data.slice(0, this._length);
  }

  private _grow(): void {
    const bigger = new Float32Array(this._data.length * 2);
    bigger.set(this._data);
    this._data = bigger;
  }
}

export class GrowableUint32 {
  private _data: Uint32Array<ArrayBuffer>;
  private _length = 0;

  constructor(capacity = 1024) {
    this._data = new Uint32Array(Math.max(capacity, 16));
  }

  get length(): number {
    return this._length;
  }

  push(a: number): void {
    if (this._length + 1 > this._data.length) this._grow();
    this._data[this._length++] = a;
  }

  push3(a: number, b: number, c: number): void {
    if (this._length + 3 > this._data.length) this._grow();
    const d = this._data;
    d[this._length] = a;
    d[this._length + 1] = b;
    d[this._length + 2] = c;
    this._length += 3;
  }

  /** The values so far, without copying; valid until the next push. */
  view(): Uint32Array<ArrayBuffer> {
    return this._data.subarray(0, this._length);
  }

  toArray(): Uint32Array<ArrayBuffer> {
    return this._data.slice(0, this._length);
  }

  private _grow(): void {
    const bigger = new Uint32Array(this._data.length * 2);
    bigger.set(this._data);
    this._data = bigger;
  }
}
