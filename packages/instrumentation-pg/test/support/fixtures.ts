/*
 * Runs the fixtures under test/fixtures in a real Node process (pg must load
 * through the real require for the module patches to apply) and turns what
 * they print back into metric snapshots to assert on.
 */
import { join } from 'node:path';
import { postgresAddress, runScenarioFixture, type FixtureOptions, type ScenarioFixtureResult } from '@connmetrics/test-harness';

export type PgFixtureResult<Values> = ScenarioFixtureResult<Values>;

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
  return runScenarioFixture<Values>(FIXTURES, file, args, { execArgv: options.execArgv, env: options.env, timeoutMs: 30_000 });
}

export {
  CREATED,
  REUSED,
  FAILED,
  CLOSED,
  CLOSE_REASON,
  USES,
  IDLE_TIME,
  REUSE_FAILED,
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

/**
 * The shared server as the tests reach it (PGHOST, PGPORT, PGDATABASE through
 * the harness), and the default pool name pg-pool's connections to it get.
 */
const shared = postgresAddress();
export const SERVER = { address: shared.host, port: shared.port, database: shared.database };
export const sharedPoolName = (database: string = shared.database) => `${shared.host}:${shared.port}/${database}`;
