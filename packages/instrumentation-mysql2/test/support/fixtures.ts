/*
 * Runs the fixtures under test/fixtures in a real Node process (mysql2 must
 * load through the real require for the module patch to apply) and turns
 * what they print back into metric snapshots to assert on.
 */
import { join } from 'node:path';
import { mysqlAddress, requireReachable, runScenarioFixture, type FixtureOptions, type ScenarioFixtureResult } from '@connmetrics/test-harness';

export type MySQL2FixtureResult<Values> = ScenarioFixtureResult<Values>;

export interface MySQL2FixtureOptions extends Pick<FixtureOptions, 'execArgv' | 'env'> {
  /** Connection settings that replace the shared server's (host, port, user, password, database). */
  database?: Record<string, unknown>;
}

const FIXTURES = join(__dirname, '..', 'fixtures');

export async function runMySQL2Fixture<Values = Record<string, unknown>>(
  file: string,
  scenario: string,
  options: MySQL2FixtureOptions = {},
): Promise<MySQL2FixtureResult<Values>> {
  const args = [scenario, ...(options.database ? [JSON.stringify(options.database)] : [])];
  return runScenarioFixture<Values>(FIXTURES, file, args, { execArgv: options.execArgv, env: options.env, timeoutMs: 30_000 });
}

/** Fails the test file with a clear message when the MySQL/MariaDB server cannot be reached. */
export async function requireMysql(): Promise<void> {
  const { host, port } = mysqlAddress();
  await requireReachable('MySQL/MariaDB', host, port);
}

export {
  CREATED,
  REUSED,
  FAILED,
  CLOSED,
  USES,
  IDLE_TIME,
  REUSE_FAILED,
  CLOSE_REASON,
  CONNECT,
  TLS,
  DNS,
  DB_COUNT as COUNT,
  DB_IDLE_MAX as IDLE_MAX,
  DB_IDLE_MIN as IDLE_MIN,
  DB_MAX as MAX,
  DB_PENDING as PENDING,
  DB_TIMEOUTS as TIMEOUTS,
  DB_CREATE_TIME as CREATE_TIME,
  DB_WAIT_TIME as WAIT_TIME,
  DB_USE_TIME as USE_TIME,
} from '@connmetrics/test-harness';

export const POOL_NAME = 'db.client.connection.pool.name';
export const STATE = 'db.client.connection.state';
export const ERROR_TYPE = 'error.type';

export const pool = (name: string) => ({ [POOL_NAME]: name });
export const used = (name: string) => ({ [POOL_NAME]: name, [STATE]: 'used' });
export const idle = (name: string) => ({ [POOL_NAME]: name, [STATE]: 'idle' });
export const reason = (value: string, extra: Record<string, unknown> = {}) => ({ 'connmetrics.connection.close.reason': value, ...extra });
