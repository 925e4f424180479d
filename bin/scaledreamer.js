#!/usr/bin/env node
// The `scaledreamer` command (src/cli/main.ts, built into dist/cli.js by `npm run build`).
const cli = await import('../dist/cli.js').catch(() => {
  console.error('scaledreamer: dist/cli.js is missing; run `npm run build` first');
  process.exit(1);
});
await cli.main();
