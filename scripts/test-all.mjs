// @ts-check
/**
 * `npm test`: runs every test stage in order, each as its own npm script, even after a failure, then prints a summary
 * table and a closing `N passed, N failed` line (counting stages). Exits non-zero if any stage failed.
 */
import { spawn } from 'node:child_process';

/** @type {{ name: string, script: string, explain?: (code: number) => string | undefined }[]} */
const STAGES = [
  { name: 'typecheck', script: 'test:types' },
  { name: 'unit', script: 'test:unit' },
  { name: 'browser', script: 'test:browser' },
  {
    name: 'training',
    script: 'test:py',
    explain: (code) => (code === 5 ? 'pytest collected no tests under training/ (exit 5)' : undefined),
  },
];

/** @returns {Promise<number>} the exit code (1 when killed by a signal). */
function run(/** @type {string} */ script) {
  return new Promise((done, fail) => {
    const child = spawn('npm', ['run', script], { stdio: 'inherit' });
    child.on('error', fail);
    child.on('exit', (code) => done(code ?? 1));
  });
}

const results = [];
for (const stage of STAGES) {
  console.log(`\n=== ${stage.name}: npm run ${stage.script}`);
  const start = performance.now();
  const code = await run(stage.script);
  const seconds = (performance.now() - start) / 1000;
  const note = code === 0 ? '' : (stage.explain?.(code) ?? `exit code ${code}`);
  if (note) console.log(`=== ${stage.name} FAILED: ${note}`);
  results.push({ name: stage.name, passed: code === 0, seconds, note });
}

console.log('\nstage      result  seconds  note');
for (const { name, passed, seconds, note } of results) {
  const result = passed ? 'passed' : 'FAILED';
  const row = `${name.padEnd(10)} ${result.padEnd(7)} ${seconds.toFixed(1).padStart(7)}  ${note}`;
  console.log(row.trimEnd());
}
const failed = results.filter((result) => !result.passed).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
