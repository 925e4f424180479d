/**
 * Shared by the browser tests: serves build/ with scripts/serve.mjs (so COOP/COEP are those of `npm start`) and
 * drives Debian's Chromium through playwright-core, which downloads no browser.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BASE_FLAGS, CHROMIUM } from '../../scripts/chromium.mjs';
import { startServer } from '../../scripts/serve.mjs';

const SITE_ROOT = new URL('../../build/', import.meta.url);
/**
 * WebGPU compute on SwiftShader (there is no GPU here). The Vulkan flags that a WebGPU *canvas* would also need break
 * Babylon's WebGL engine, so WebGL tests launch without any of these.
 */
const WEBGPU_COMPUTE_FLAGS = ['--enable-unsafe-webgpu'];

export interface Site {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves build/ on a free port.
 * @throws {Error} if the site has not been built.
 */
export async function startSite(): Promise<Site> {
  if (!existsSync(new URL('index.html', SITE_ROOT))) {
    throw new Error('build/ has no site: run `npm run build:site` (npm run test:browser does) first');
  }
  return startServer({ root: SITE_ROOT.pathname });
}

/**
 * Makes `performance.measureUserAgentSpecificMemory()` answer at once (it otherwise waits for the next garbage
 * collection, up to tens of seconds) and exposes `gc()`: for tests and benchmarks that measure memory.
 */
export const MEMORY_MEASUREMENT_FLAGS = ['--enable-blink-features=ForceEagerMeasureMemory', '--js-flags=--expose-gc'];

/** Headless Chromium with a fresh profile (playwright makes a temporary one per launch); `args` are added flags. */
export function launchChromium({ webgpu, args = [] }: { webgpu: boolean; args?: readonly string[] }): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_FLAGS, ...(webgpu ? WEBGPU_COMPUTE_FLAGS : []), ...args],
  });
}

export interface PageRun<T> {
  readonly page: Page;
  readonly result: T;
  /** Console messages and uncaught errors, in order, for failure messages and logs. */
  readonly logs: readonly string[];
}

/**
 * Opens `url` and waits for the result that the page reports through test/browser/pages/page-result.ts.
 * @param setup runs on the new page before it loads (e.g. `page.exposeFunction`).
 * @throws {Error} with the page's logs if the page's result promise rejects.
 */
export async function runPage<T>(
  browser: Browser,
  url: string,
  setup?: (page: Page) => Promise<unknown>,
): Promise<PageRun<T>> {
  const page = await browser.newPage();
  await setup?.(page);
  const logs: string[] = [];
  page.on('console', (message) => logs.push(`[${message.type()}] ${message.text()}`));
  page.on('pageerror', (error) => logs.push(`[pageerror] ${error.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.pageResult !== undefined);
  try {
    const result = (await page.evaluate(() => window.pageResult)) as T;
    return { page, result, logs };
  } catch (error) {
    throw new Error(`${url} failed: ${String(error)}\npage log:\n${logs.join('\n')}`, { cause: error });
  }
}

/**
 * Resident memory, in bytes, of the Chromium renderer processes started by this Node process (Linux /proc): what a
 * page and its workers hold, WebAssembly memories and native allocations included, which JS heap figures leave out.
 */
export function rendererResidentBytes(): number {
  const parents = new Map<number, number>();
  const renderers: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 4 (ppid) follows the command name, which is in parentheses and may contain spaces.
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) renderers.push(pid);
    } catch {
      // The process ended while being read.
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  };
  let bytes = 0;
  for (const pid of renderers.filter(descends)) {
    try {
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      bytes += Number(rss?.[1] ?? 0) * 1024;
    } catch {
      // Ended meanwhile.
    }
  }
  return bytes;
}
