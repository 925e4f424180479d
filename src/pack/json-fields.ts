/**
 * Typed reads of one JSON document of a pack, each failing with a {@link PackError} that names the file and the
 * field (`files["unet.onnx"].inputs.sample.shape`) and says what was expected and what was found.
 */
import { PackError } from './pack-error.js';

/** A dimension: a number is fixed, a string is symbolic (`"batch"`). */
export type Dim = number | string;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `parent.key`, or `parent["key"]` where the key is not an identifier. */
export function fieldPath(parent: string, key: string): string {
  if (IDENTIFIER.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/** A short rendering of a wrong value for messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** One JSON object of a pack file, with its place in the file. */
export class JsonFields {
  private constructor(
    readonly file: string,
    /** Where this object sits in the file; '' for the top level. */
    readonly path: string,
    private readonly _value: Readonly<Record<string, unknown>>,
  ) {}

  /**
   * @throws {PackError} if the bytes are not UTF-8 JSON whose top level is an object.
   */
  static parse(file: string, bytes: Uint8Array): JsonFields {
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (error) {
      throw new PackError(file, `is not valid JSON (${(error as Error).message})`, { cause: error });
    }
    if (!isObject(value)) throw new PackError(file, `must hold a JSON object, got ${describe(value)}`);
    return new JsonFields(file, '', value);
  }

  /** The object's keys, in file order. */
  keys(): string[] {
    return Object.keys(this._value);
  }

  has(key: string): boolean {
    return Object.hasOwn(this._value, key);
  }

  /** The path of `key` (and of its item `index`) in this object, for messages. */
  pathOf(key: string, index?: number): string {
    const path = fieldPath(this.path, key);
    return index === undefined ? path : `${path}[${index}]`;
  }

  /** @throws {PackError} always: `<file>: <path of key[index]> <reason>`. */
  fail(key: string, reason: string, index?: number): never {
    throw new PackError(this.file, `${this.pathOf(key, index)} ${reason}`);
  }

  /** @throws {PackError} if the field is absent or not an object. */
  object(key: string): JsonFields {
    const value = this._value[key];
    if (!isObject(value)) this.fail(key, `must be an object, got ${describe(value)}`);
    return new JsonFields(this.file, this.pathOf(key), value);
  }

  /** @throws {PackError} if the field is absent or not a string. */
  string(key: string): string {
    const value = this._value[key];
    if (typeof value !== 'string') this.fail(key, `must be a string, got ${describe(value)}`);
    return value;
  }

  /** @throws {PackError} if the field is not one of `allowed`. */
  oneOf<T extends string | number | boolean>(key: string, allowed: readonly T[]): T {
    const value = this._value[key];
    if (!allowed.includes(value as T)) {
      const expected = allowed.map((option) => JSON.stringify(option)).join(' or ');
      this.fail(key, `must be ${expected}, got ${describe(value)}`);
    }
    return value as T;
  }

  /** @throws {PackError} if the field is not a boolean. */
  boolean(key: string): boolean {
    return this.oneOf(key, [true, false]);
  }

  /** @throws {PackError} if the field is not a finite number. */
  number(key: string): number {
    const value = this._value[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.fail(key, `must be a number, got ${describe(value)}`);
    }
    return value;
  }

  /** @throws {PackError} if the field is not an integer >= `min`. */
  integer(key: string, min: number): number {
    const value = this._value[key];
    if (!Number.isSafeInteger(value) || (value as number) < min) {
      this.fail(key, `must be an integer >= ${min}, got ${describe(value)}`);
    }
    return value as number;
  }

  /** @throws {PackError} if the field is not an array of strings. */
  strings(key: string): string[] {
    const value = this._value[key];
    if (!Array.isArray(value)) this.fail(key, `must be an array of strings, got ${describe(value)}`);
    value.forEach((item, i) => {
      if (typeof item !== 'string') this.fail(key, `must be a string, got ${describe(item)}`, i);
    });
    return value as string[];
  }

  /** @throws {PackError} if the field is not an array of finite numbers. */
  numbers(key: string): number[] {
    const value = this._value[key];
    if (!Array.isArray(value)) this.fail(key, `must be an array of numbers, got ${describe(value)}`);
    value.forEach((item, i) => {
      if (typeof item !== 'number' || !Number.isFinite(item)) {
        this.fail(key, `must be a number, got ${describe(item)}`, i);
      }
    });
    return value as number[];
  }

  /** A shape: an array of integers >= 0 and (unless `fixedOnly`) symbolic names. */
  shape(key: string, fixedOnly: boolean): Dim[] {
    const value = this._value[key];
    if (!Array.isArray(value)) this.fail(key, `must be an array of dimensions, got ${describe(value)}`);
    value.forEach((dim, i) => {
      const fixed = Number.isSafeInteger(dim) && (dim as number) >= 0;
      const symbolic = !fixedOnly && typeof dim === 'string' && dim !== '';
      if (!fixed && !symbolic) {
        const expected = fixedOnly ? 'an integer >= 0' : 'an integer >= 0 or a symbolic name';
        this.fail(key, `must be ${expected}, got ${describe(dim)}`, i);
      }
    });
    return value as Dim[];
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
