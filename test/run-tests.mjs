// The whole test suite: type-check and build once, then run jest on every
// supported Node.js (or the majors in TEST_NODE_VERSIONS, e.g. "22").
// Extra arguments go to jest (e.g. a path pattern). Ends with one summary line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUPPORTED_NODE_MAJORS, envFor, nodeBinary } from '../tools/runtimes/runtimes.mjs';

const root = new URL('..', import.meta.url).pathname;
const majors = (process.env.TEST_NODE_VERSIONS ?? SUPPORTED_NODE_MAJORS.join(' ')).split(/[\s,]+/).filter(Boolean);
const jestArgs = process.argv.slice(2);

const build = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-b'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('tsc -b failed');
  process.exit(1);
}

const outDir = mkdtempSync(join(tmpdir(), 'connmetrics-jest-'));
let passed = 0;
let failed = 0;
let failedRuns = 0;
for (const major of majors) {
  const node = nodeBinary(major);
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n=== Node ${version}: jest ===`);
  const outputFile = join(outDir, `node${major}.json`);
  const run = spawnSync(
    node,
    [join(root, 'node_modules/jest/bin/jest.js'), '--json', `--outputFile=${outputFile}`, ...jestArgs],
    { cwd: root, stdio: 'inherit', env: { ...envFor(major), CONNMETRICS_TEST_NODE: major } },
  );
  let result;
  try {
    result = JSON.parse(readFileSync(outputFile, 'utf8'));
  } catch {
    result = { numPassedTests: 0, numFailedTests: 0 };
  }
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  if (run.status !== 0) failedRuns += 1;
  console.log(`Node ${version}: ${result.numPassedTests} passed, ${result.numFailedTests} failed`);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 || failedRuns > 0 || passed === 0 ? 1 : 0);
