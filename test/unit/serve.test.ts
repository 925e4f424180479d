import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startServer } from '../../scripts/serve.mjs';

let root: string;
let server: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'serve-test-'));
  for (const file of ['index.html', 'app.js', 'ort.wasm', 'asset.glb', 'model.onnx', 'data.json']) {
    await writeFile(join(root, file), file);
  }
  server = await startServer({ root });
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true });
});

test.each([
  ['', 'text/html; charset=utf-8'],
  ['app.js', 'text/javascript; charset=utf-8'],
  ['ort.wasm', 'application/wasm'],
  ['asset.glb', 'model/gltf-binary'],
  ['model.onnx', 'application/octet-stream'],
  ['data.json', 'application/json; charset=utf-8'],
])('serves /%s as %s, cross-origin isolated', async (path, contentType) => {
  const response = await fetch(`${server.url}${path}`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe(contentType);
  expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  expect(await response.text()).toBe(path || 'index.html');
});

test('answers 404, still isolated, for a missing file', async () => {
  const response = await fetch(`${server.url}missing.js`);
  expect(response.status).toBe(404);
  expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
});

test('never serves outside its root', async () => {
  const response = await fetch(`${server.url}..%2f..%2fetc%2fpasswd`);
  expect(response.status).toBe(403);
});

test('accepts only GET and HEAD', async () => {
  expect((await fetch(`${server.url}app.js`, { method: 'HEAD' })).status).toBe(200);
  expect((await fetch(`${server.url}app.js`, { method: 'POST' })).status).toBe(405);
});
