/** How the loader gets a pack's files: by URL, from the network (fetch) or from disk (a reader the app passes). */

/**
 * Reads one file of a pack.
 * @param url the file's URL: the pack's base URL joined with the path that manifest.json lists.
 * @returns the file's bytes, or null if there is no such file. Any other failure should throw; the loader reports
 *   it as a {@link PackError} naming the file, with the thrown error as its `cause`.
 */
export type PackReader = (url: URL) => Promise<Uint8Array<ArrayBuffer> | null>;

/**
 * The default {@link PackReader}: `fetch`. HTTP 404 and 410 mean "no such file".
 * @throws {Error} for any other non-2xx status, and when fetch itself fails (network, CORS).
 */
export async function fetchPackFile(url: URL): Promise<Uint8Array<ArrayBuffer> | null> {
  const response = await fetch(url);
  if (response.status === 404 || response.status === 410) return null;
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`.trimEnd());
  return new Uint8Array(await response.arrayBuffer());
}
