/** SHA-256 through WebCrypto, which browsers (in secure contexts) and Node >= 20 both provide as `crypto.subtle`. */

/**
 * The SubtleCrypto to hash with.
 * @throws {Error} where there is none: browsers expose it only in secure contexts (https, localhost).
 */
export function subtleCrypto(): SubtleCrypto {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new Error(
      'verifying a model pack needs crypto.subtle, which browsers only provide in secure contexts (https, localhost)',
    );
  }
  return subtle;
}

/** Lower-case hex of the SHA-256 of `bytes`. */
export async function sha256Hex(subtle: SubtleCrypto, bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
