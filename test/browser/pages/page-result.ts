/**
 * How a test page hands its result to its test (test/browser/harness.ts): it stores a promise of a JSON value on
 * `window.pageResult`; a rejection fails the test with its message.
 */
declare global {
  interface Window {
    pageResult?: Promise<unknown>;
  }
}

export function reportResult(result: Promise<unknown>): void {
  window.pageResult = result;
}
