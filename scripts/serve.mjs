// @ts-check
/**
 * Static file server for the demo and the browser test pages. Every response is cross-origin isolated
 * (COOP same-origin + COEP require-corp) because onnxruntime-web only uses threads when `crossOriginIsolated` is true.
 *
 * `node scripts/serve.mjs [root]` serves `root` (default build/, written by `npm run build:site`) on
 * http://localhost:$PORT (default 8080). Tests import {@link startServer}.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ISOLATION_HEADERS = Object.freeze({
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
});

/** @type {Readonly<Record<string, string>>} */
export const MIME_TYPES = Object.freeze({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain; charset=utf-8',
  '.glb': 'model/gltf-binary',
  '.gltf': 'model/gltf+json',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
});

/**
 * Starts serving `root` on 127.0.0.1.
 * @param {{ root: string, port?: number }} options `port` 0 (the default) picks a free port.
 * @returns {Promise<{ url: string, close: () => Promise<void> }>} the base URL (an IPv4 loopback URL, ending in '/').
 */
export async function startServer({ root, port = 0 }) {
  const base = resolve(root);
  const server = createServer(async (request, response) => {
    for (const [name, value] of Object.entries(ISOLATION_HEADERS)) response.setHeader(name, value);
    response.setHeader('Cache-Control', 'no-store');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    let file = join(base, pathname);
    if (file !== base && !file.startsWith(base + sep)) {
      response.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const { size } = await stat(file);
      response.writeHead(200, {
        'Content-Type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': size,
      });
      if (request.method === 'HEAD') response.end();
      else createReadStream(file).pipe(response);
    } catch (error) {
      const code = /** @type {NodeJS.ErrnoException} */ (error).code;
      const status = code === 'ENOENT' || code === 'ENOTDIR' ? 404 : 500;
      response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${status} ${pathname}\n`);
    }
  });
  await new Promise((done) => server.listen(port, '127.0.0.1', () => done(undefined)));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => new Promise((done, fail) => server.close((error) => (error ? fail(error) : done()))),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? fileURLToPath(new URL('../build', import.meta.url));
  const port = Number(process.env.PORT ?? 8080);
  await startServer({ root, port });
  console.log(`Serving ${root} at http://localhost:${port}/ (cross-origin isolated). Ctrl+C stops.`);
}
