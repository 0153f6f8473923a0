/*
 * Keeps the benchmark harness from rotting: runs `run.mjs --quick` as a child
 * process on the Node running the tests and checks that it completes and
 * writes its JSON and markdown results with every scenario in every mode.
 * Never asserts a timing: the quick numbers mean nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFixture } from '@connmetrics/test-harness';

const SCENARIOS = ['undici-pool', 'fetch', 'http-agent', 'http-churn', 'pg-pool', 'mysql2-pool', 'postgres-pool', 'ioredis-get', 'node-redis-get'];
const MODES = ['off', 'floor', 'bookkeeping', 'connmetrics', 'upstream'];
const QUICK_ROUNDS = 3;

interface RoundResult {
  ops: number;
  opsPerSec: number;
}
interface ScenarioResult {
  name: string;
  title: string;
  summary: Record<string, { rounds: number }>;
  rounds: Record<string, RoundResult[]>;
}

let outDirectory: string;

beforeAll(() => {
  outDirectory = mkdtempSync(join(tmpdir(), 'connmetrics-bench-'));
});

afterAll(() => {
  rmSync(outDirectory, { recursive: true, force: true });
});

test('the quick benchmark completes and writes every scenario in every mode', async () => {
  const run = await runFixture(join(__dirname, 'run.mjs'), { args: ['--quick', '--out', outDirectory], timeoutMs: 170_000 });
  if (run.code !== 0) throw new Error(`run.mjs --quick exited with ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);

  const results = JSON.parse(readFileSync(join(outDirectory, 'bench.json'), 'utf8')) as {
    config: { quick: boolean; rounds: number; modes: string[] };
    scenarios: ScenarioResult[];
  };
  expect(results.config.quick).toBe(true);
  expect(results.config.modes).toEqual(MODES);
  expect(results.scenarios.map((scenario) => scenario.name)).toEqual(SCENARIOS);
  for (const scenario of results.scenarios) {
    expect(Object.keys(scenario.summary)).toEqual(MODES);
    for (const mode of MODES) {
      expect(scenario.summary[mode]!.rounds).toBe(QUICK_ROUNDS);
      expect(scenario.rounds[mode]).toHaveLength(QUICK_ROUNDS);
      for (const round of scenario.rounds[mode]!) expect(round.ops).toBeGreaterThan(0);
    }
  }

  const markdown = readFileSync(join(outDirectory, 'bench.md'), 'utf8');
  const rows = markdown.split('\n').filter((line) => /^\| .* \| (off|floor|bookkeeping|connmetrics|upstream) \|/.test(line));
  expect(rows).toHaveLength(SCENARIOS.length * MODES.length);
  for (const scenario of results.scenarios) expect(markdown).toContain(`| ${scenario.title} | off |`);
  // The floor subscribed the channels of each protocol's real instrumentation (derived from it, not listed here).
  const floors = (JSON.parse(readFileSync(join(outDirectory, 'bench.json'), 'utf8')) as { workers: { floor: { floors: Record<string, string[]> } } }).workers.floor.floors;
  expect(floors.undici).toEqual(expect.arrayContaining(['undici:client:sendHeaders', 'net.client.socket']));
  expect(floors.http).toEqual(expect.arrayContaining(['http.client.request.start', 'net.client.socket']));
  expect(floors.ioredis).toEqual(['net.client.socket']); // ioredis is hooked by wraps of its own files, no channel
  expect(floors.pg).toEqual(['net.client.socket']); // pg has no channel of its own: its floor is the four pass-through wraps
}, 180_000);
