// @ts-check
// Two projects: `unit` (Node only, fast) and `browser` (Node tests that drive Chromium through playwright-core
// against the site that `npm run build:site` wrote into build/). scripts/test-all.mjs runs them as separate stages.
import { defineConfig } from 'vitest/config';
import { wgsl } from './scripts/wgsl-plugin.mjs';

export default defineConfig({
  plugins: [wgsl()],
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          environment: 'node',
          // One Chromium at a time: SwiftShader renders on the CPU, and this machine has two cores.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
