// The whole test suite, what `pnpm test` runs:
// 1. test/setup-services.mjs: PostgreSQL, Redis and MariaDB started when they
//    are down, Prometheus installed when missing (a fresh machine needs no
//    manual step);
// 2. tsc -b: type-check and build once;
// 3. the package checks (tools/check-packages.mjs: manifests, tarballs,
//    `npm publish --dry-run`, the types of every entry point under CJS and
//    ESM) and the docs checks (tools/check-docs.mjs: links and file names);
// 4. jest on every supported Node.js (or the majors in TEST_NODE_VERSIONS,
//    e.g. "22"), and on each the leak test (100,000 connections) as its own
//    step with its own time budget, so it never runs beside the other files.
// Extra arguments go to jest (e.g. a path pattern): then only jest runs, on
// the files they select. Ends with one summary line counting every test and check.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUPPORTED_NODE_MAJORS, envFor, nodeBinary } from '../tools/runtimes/runtimes.mjs';
import { setupServices } from './setup-services.mjs';

const root = new URL('..', import.meta.url).pathname;
const majors = (process.env.TEST_NODE_VERSIONS ?? SUPPORTED_NODE_MAJORS.join(' ')).split(/[\s,]+/).filter(Boolean);
const jestArgs = process.argv.slice(2);
const fullRun = jestArgs.length === 0;
/** The leak test, run alone after the other files on each Node (see test/reliability/leaks.test.ts). */
const LEAK_TEST = 'test/reliability/leaks.test.ts';
const started = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(0)} s`;

let passed = 0;
let failed = 0;
const failedSteps = [];

console.log('=== set-up: servers and system packages ===');
if (!(await setupServices())) failedSteps.push('set-up');

const buildStart = Date.now();
// PACKAGE_VERSION of every package from its package.json, then one build.
const versions = spawnSync(process.execPath, [join(root, 'tools/generate-versions.mjs')], { cwd: root, stdio: 'inherit' });
const build = versions.status === 0 ? spawnSync(join(root, 'node_modules/.bin/tsc'), ['-b'], { cwd: root, stdio: 'inherit' }) : versions;
if (build.status !== 0) {
  console.error('tsc -b failed');
  process.exit(1);
}
console.log(`tsc -b: ${seconds(buildStart)}`);

/** Runs a check script that ends with a {"passed":N,"failed":N} line; adds its counts to the totals. */
function checks(label, script) {
  const checkStart = Date.now();
  console.log(`\n=== ${label} ===`);
  const major = SUPPORTED_NODE_MAJORS.at(-1);
  const check = spawnSync(nodeBinary(major), [join(root, script), '--json'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    env: envFor(major),
  });
  const lines = (check.stdout ?? '').trimEnd().split('\n');
  let summary;
  try {
    summary = JSON.parse(lines.at(-1));
    console.log(lines.slice(0, -1).join('\n'));
  } catch {
    console.log(check.stdout);
    summary = { passed: 0, failed: 1 };
  }
  passed += summary.passed;
  failed += summary.failed;
  if (check.status !== 0) failedSteps.push(label);
  console.log(`${label}: ${summary.passed} passed, ${summary.failed} failed (${seconds(checkStart)})`);
}

if (fullRun || process.env.CONNMETRICS_CHECK_PACKAGES === '1') {
  checks('package checks', 'tools/check-packages.mjs');
  checks('docs checks', 'tools/check-docs.mjs');
}

const outDir = mkdtempSync(join(tmpdir(), 'connmetrics-jest-'));

/** Runs jest on one Node with `args`; adds its counts to the totals. */
function jest(major, version, step, args, env = {}) {
  const stepStart = Date.now();
  console.log(`\n=== Node ${version}: ${step} ===`);
  const outputFile = join(outDir, `node${major}-${step.replace(/\W+/g, '-')}.json`);
  const run = spawnSync(
    nodeBinary(major),
    [join(root, 'node_modules/jest/bin/jest.js'), '--json', `--outputFile=${outputFile}`, ...args],
    { cwd: root, stdio: 'inherit', env: { ...envFor(major), CONNMETRICS_TEST_NODE: major, ...env } },
  );
  let result;
  try {
    result = JSON.parse(readFileSync(outputFile, 'utf8'));
  } catch {
    result = { numPassedTests: 0, numFailedTests: 0 };
  }
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  if (run.status !== 0 || result.numPassedTests === 0) failedSteps.push(`Node ${version} ${step}`);
  console.log(`Node ${version} ${step}: ${result.numPassedTests} passed, ${result.numFailedTests} failed (${seconds(stepStart)})`);
}

for (const major of majors) {
  const version = spawnSync(nodeBinary(major), ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (fullRun) {
    // Every file but the leak test, with the configuration's ignore patterns kept.
    jest(major, version, 'jest', ['--testPathIgnorePatterns', '/node_modules/', '/build/', LEAK_TEST.replace(/\./g, '\\.')]);
    // The leak test alone: its churn is timed by its own budget, not by the load of the other files.
    jest(major, version, 'leak test', ['--runTestsByPath', LEAK_TEST]);
  } else {
    jest(major, version, 'jest', jestArgs);
  }
}
console.log(`\n${passed} passed, ${failed} failed (${seconds(started)})`);
if (failedSteps.length > 0) console.log(`failed steps: ${failedSteps.join(', ')}`);
process.exit(failed > 0 || failedSteps.length > 0 || passed === 0 ? 1 : 0);
