/*
 * Runs a fixture (test/fixtures/<name>.js) in a real Node process against one
 * copy of ioredis and gives back its metric snapshots. The module patch this
 * package relies on is applied by Node's own `require`, which jest bypasses,
 * so every scenario runs outside jest, as an application would.
 */
import { isAbsolute, join } from 'node:path';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { MetricsSnapshot, runFixture } from '@connmetrics/test-harness';

/** The copies of ioredis the scenarios run against: 6, 5.11 (the first with tracing channels), 5.10 (the last without). */
export const IOREDIS_COPIES = [
  ['ioredis', 'ioredis 6'],
  ['ioredis5', 'ioredis 5.11'],
  ['ioredis510', 'ioredis 5.10'],
] as const;

export type IORedisCopy = (typeof IOREDIS_COPIES)[number][0];

export interface ScenarioResult<Facts> {
  readonly facts: Facts;
  readonly stderr: string;
  /** The metrics collected at a point the fixture labelled. */
  snapshot(label: string): MetricsSnapshot;
}

/**
 * @param scenario a fixture's name (test/fixtures/<scenario>.js), or the absolute path of a script
 * @param execArgv Node flags, e.g. `--import` of a fixture module
 */
export async function runScenario<Facts = Record<string, unknown>>(
  scenario: string,
  copy: IORedisCopy,
  params: Record<string, unknown> = {},
  execArgv: string[] = [],
): Promise<ScenarioResult<Facts>> {
  const script = isAbsolute(scenario) ? scenario : join(__dirname, 'fixtures', `${scenario}.js`);
  const run = await runFixture<{ snapshots: Record<string, MetricData[]>; facts: Facts }>(script, {
    args: [copy, JSON.stringify(params)],
    execArgv,
    timeoutMs: 30_000,
  });
  const result = run.result;
  if (run.code !== 0 || !result) {
    throw new Error(`fixture ${scenario} on ${copy} failed (exit ${run.code}):\n${run.stderr}\n${run.stdout}`);
  }
  // Any diag line of this package means a hook failed (and was contained).
  if (/connmetrics/.test(run.stderr)) throw new Error(`fixture ${scenario} on ${copy} logged:\n${run.stderr}`);
  return {
    facts: result.facts,
    stderr: run.stderr,
    snapshot(label) {
      const metrics = result.snapshots[label];
      if (!metrics) throw new Error(`fixture ${scenario} took no snapshot "${label}"`);
      return new MetricsSnapshot(metrics);
    },
  };
}

export { CREATED, REUSED, FAILED, CLOSED, CLOSE_REASON, USES, IDLE_TIME, REUSE_FAILED, CONNECT, TLS, DNS, DB_COUNT as COUNT, DB_CREATE_TIME as CREATE_TIME } from '@connmetrics/test-harness';

export const POOL = 'db.client.connection.pool.name';
export const STATE = 'db.client.connection.state';
export const ERROR_TYPE = 'error.type';

/** Pool name of an unnamed client of 127.0.0.1. */
export const poolOf = (port: number, db = 0) => `127.0.0.1:${port}/${db}`;
