/*
 * Runs the fixtures under test/fixtures in a real Node process (pg must load
 * through the real require for the module patches to apply) and turns what
 * they print back into metric snapshots to assert on.
 */
import { join } from 'node:path';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { MetricsSnapshot, runFixture, type FixtureOptions } from '@connmetrics/test-harness';

export interface PgFixtureResult<Values> {
  readonly snapshots: Readonly<Record<string, MetricsSnapshot>>;
  readonly values: Values;
  readonly stderr: string;
}

export interface PgFixtureOptions extends Pick<FixtureOptions, 'execArgv' | 'env'> {
  /** Connection settings that replace the shared server's (host, port, user, password, database). */
  database?: Record<string, unknown>;
}

const FIXTURES = join(__dirname, '..', 'fixtures');

export async function runPgFixture<Values = Record<string, unknown>>(
  file: string,
  scenario: string,
  options: PgFixtureOptions = {},
): Promise<PgFixtureResult<Values>> {
  const args = [scenario, ...(options.database ? [JSON.stringify(options.database)] : [])];
  const run = await runFixture<{ snapshots: Record<string, MetricData[]>; values: Values }>(join(FIXTURES, file), {
    args,
    execArgv: options.execArgv,
    env: options.env,
    cwd: FIXTURES,
    timeoutMs: 30_000,
  });
  if (run.code !== 0 || !run.result) {
    throw new Error(`fixture ${file} ${scenario} exited with ${run.code ?? run.signal}\nstderr:\n${run.stderr}\nstdout:\n${run.stdout}`);
  }
  const snapshots: Record<string, MetricsSnapshot> = {};
  for (const [name, metrics] of Object.entries(run.result.snapshots)) snapshots[name] = new MetricsSnapshot(metrics);
  return { snapshots, values: run.result.values, stderr: run.stderr };
}

export const CREATED = 'connmetrics.connection.created';
export const REUSED = 'connmetrics.connection.reused';
export const FAILED = 'connmetrics.connection.failed';
export const CLOSED = 'connmetrics.connection.closed';
export const CONNECT = 'connmetrics.connection.connect.duration';
export const TLS = 'connmetrics.tls.handshake.duration';
export const DNS = 'dns.lookup.duration';
export const COUNT = 'db.client.connection.count';
export const IDLE_MAX = 'db.client.connection.idle.max';
export const IDLE_MIN = 'db.client.connection.idle.min';
export const MAX = 'db.client.connection.max';
export const PENDING = 'db.client.connection.pending_requests';
export const TIMEOUTS = 'db.client.connection.timeouts';
export const CREATE_TIME = 'db.client.connection.create_time';
export const WAIT_TIME = 'db.client.connection.wait_time';
export const USE_TIME = 'db.client.connection.use_time';

export const POOL_NAME = 'db.client.connection.pool.name';
export const STATE = 'db.client.connection.state';
export const ERROR_TYPE = 'error.type';

export const pool = (name: string) => ({ [POOL_NAME]: name });
export const used = (name: string) => ({ [POOL_NAME]: name, [STATE]: 'used' });
export const idle = (name: string) => ({ [POOL_NAME]: name, [STATE]: 'idle' });
