// @ts-check
/**
 * How the browser tests and the browser bench start Debian's Chromium: its path (CHROMIUM_PATH overrides it) and the
 * flags every launch needs on this machine (no sandbox as root; no background connections, which the closed network
 * refuses, many at a time).
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
