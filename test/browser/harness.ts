/**
 * Shared by the browser tests: serves build/ with scripts/serve.mjs (so COOP/COEP are those of `npm start`) and
 * drives Debian's Chromium through playwright-core, which downloads no browser.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServer } from '../../scripts/serve.mjs';

/** Debian's launcher; CHROMIUM_PATH overrides it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SITE_ROOT = new URL('../../build/', import.meta.url);

const BASE_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
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

/** Headless Chromium with a fresh profile (playwright makes a temporary one per launch). */
export function launchChromium({ webgpu }: { webgpu: boolean }): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...BASE_FLAGS, ...(webgpu ? WEBGPU_COMPUTE_FLAGS : [])],
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
 * @throws {Error} with the page's logs if the page's result promise rejects.
 */
export async function runPage<T>(browser: Browser, url: string): Promise<PageRun<T>> {
  const page = await browser.newPage();
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
