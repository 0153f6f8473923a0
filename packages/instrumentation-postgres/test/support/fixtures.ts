/*
 * Runs the fixtures under test/fixtures in a real Node process (postgres must
 * load through the real require or import for the module patch to apply) and
 * turns what they print back into metric snapshots to assert on.
 */
import { join } from 'node:path';
import { runScenarioFixture, type FixtureOptions, type ScenarioFixtureResult } from '@connmetrics/test-harness';

export type PostgresFixtureResult<Values> = ScenarioFixtureResult<Values>;

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
  return runScenarioFixture<Values>(FIXTURES, file, args, { execArgv: options.execArgv, env: options.env, timeoutMs: 45_000 });
}

export const POOL_NAME = 'db.client.connection.pool.name';
export const STATE = 'db.client.connection.state';
export const ERROR_TYPE = 'error.type';

export const pool = (name: string) => ({ [POOL_NAME]: name });
export const used = (name: string) => ({ [POOL_NAME]: name, [STATE]: 'used' });
export const idle = (name: string) => ({ [POOL_NAME]: name, [STATE]: 'idle' });
export const closedBy = (name: string, reason: string) => ({ [POOL_NAME]: name, 'connmetrics.connection.close.reason': reason });
