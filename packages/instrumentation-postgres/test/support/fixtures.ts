/*
 * Runs the fixtures under test/fixtures in a real Node process (postgres must
 * load through the real require or import for the module patch to apply) and
 * turns what they print back into metric snapshots to assert on.
 */
import { join } from 'node:path';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { MetricsSnapshot, runFixture, type FixtureOptions } from '@connmetrics/test-harness';

export interface PostgresFixtureResult<Values> {
  readonly snapshots: Readonly<Record<string, MetricsSnapshot>>;
  readonly values: Values;
  readonly stderr: string;
}

export interface PostgresFixtureOptions extends Pick<FixtureOptions, 'execArgv' | 'env'> {
  /** Connection options that replace the shared server's (host, port, user, pass, database). */
  database?: Record<string, unknown>;
  /** More arguments after the scenario and the database. */
  args?: string[];
}

const FIXTURES = join(__dirname, '..', 'fixtures');

export async function runPostgresFixture<Values = Record<string, unknown>>(
  file: string,
  scenario: string,
  options: PostgresFixtureOptions = {},
): Promise<PostgresFixtureResult<Values>> {
  const args = [scenario, JSON.stringify(options.database ?? {}), ...(options.args ?? [])];
  const run = await runFixture<{ snapshots: Record<string, MetricData[]>; values: Values }>(join(FIXTURES, file), {
    args,
    execArgv: options.execArgv,
    env: options.env,
    cwd: FIXTURES,
    timeoutMs: 45_000,
  });
  if (run.code !== 0 || !run.result) {
    throw new Error(`fixture ${file} ${scenario} exited with ${run.code ?? run.signal}\nstderr:\n${run.stderr}\nstdout:\n${run.stdout}`);
  }
  const snapshots: Record<string, MetricsSnapshot> = {};
  for (const [name, metrics] of Object.entries(run.result.snapshots)) snapshots[name] = new MetricsSnapshot(metrics);
  return { snapshots, values: run.result.values, stderr: run.stderr };
}

export const POOL_NAME = 'db.client.connection.pool.name';
export const STATE = 'db.client.connection.state';
export const ERROR_TYPE = 'error.type';

export const pool = (name: string) => ({ [POOL_NAME]: name });
export const used = (name: string) => ({ [POOL_NAME]: name, [STATE]: 'used' });
export const idle = (name: string) => ({ [POOL_NAME]: name, [STATE]: 'idle' });
export const closedBy = (name: string, reason: string) => ({ [POOL_NAME]: name, 'connmetrics.connection.close.reason': reason });
