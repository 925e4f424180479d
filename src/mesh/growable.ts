/** Append-only typed arrays that double their storage, so that building a mesh allocates O(log n) times. */

type GrowableStorage = Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>;

class Growable<T extends GrowableStorage> {
  private _data: T;
  private _length = 0;

  constructor(private readonly _allocate: (length: number) => T, capacity: number) {
    this._data = _allocate(Math.max(capacity, 16));
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
  view(): T {
    return this._data.subarray(0, this._length) as T;
  }

  /** A copy trimmed to the length. */
  toArray(): T {
    return this._data.slice(0, this._length) as T;
  }

  private _grow(): void {
    const bigger = this._allocate(this._data.length * 2);
    bigger.set(this._data);
    this._data = bigger;
  }
}

export class GrowableFloat32 extends Growable<Float32Array<ArrayBuffer>> {
  constructor(capacity = 1024) {
    super((length) => new Float32Array(length), capacity);
  }
}

export class GrowableUint32 extends Growable<Uint32Array<ArrayBuffer>> {
  constructor(capacity = 1024) {
    super((length) => new Uint32Array(length), capacity);
  }
}
