/*
 * Connection attempts that fail: the application sees exactly what it sees
 * without the instrumentation (each fixture runs the request both ways), and
 * each attempt is one connmetrics.connection.failed with a short error.type;
 * with postgres.js 3 (patched) and postgres.js 4 (from its channels) alike.
 */
import { postgresAddress, refusedPort, requireReachable, CREATED, DB_TIMEOUTS, FAILED } from '@connmetrics/test-harness';
import { ERROR_TYPE, runPostgresFixture } from './support/fixtures';

interface Seen {
  ok: boolean;
  error?: { name: string; code?: string; message: string };
}

const { host, port } = postgresAddress();

beforeAll(async () => {
  await requireReachable('PostgreSQL', host, port);
});

describe.each([
  ['postgres.js 3', 'postgres'],
  ['postgres.js 4', 'postgres4'],
])('%s', (_name, module) => {
  async function failure(scenario: string, args: string[] = []) {
    const { snapshots, values } = await runPostgresFixture<{ seen: Seen }>('failures.js', scenario, { args, env: { CONNMETRICS_POSTGRES_MODULE: module } });
    expect(values.seen.ok).toBe(false);
    return { after: snapshots.after!, seen: values.seen.error! };
  }

  test('connection refused: failed{error.type=ECONNREFUSED}', async () => {
    const closedPort = await refusedPort();
    const { after, seen } = await failure('refused', [String(closedPort)]);
    expect(seen.code).toBe('ECONNREFUSED');
    expect(after.sum(FAILED)).toBe(1);
    expect(after.sum(FAILED, { [ERROR_TYPE]: 'ECONNREFUSED', 'server.address': '127.0.0.1', 'server.port': closedPort })).toBe(1);
    expect(after.sum(CREATED)).toBe(0);
  });

  test('unknown host: failed{error.type=ENOTFOUND}', async () => {
    const { after, seen } = await failure('unknown-host');
    expect(seen.code).toBe('ENOTFOUND');
    expect(after.sum(FAILED, { [ERROR_TYPE]: 'ENOTFOUND', 'server.address': 'connmetrics-no-such-host.invalid' })).toBe(1);
    expect(after.sum(FAILED)).toBe(1);
  });

  test('unknown database: failed{error.type=3D000}', async () => {
    const { after, seen } = await failure('unknown-database');
    expect(seen).toEqual({ name: 'PostgresError', code: '3D000', message: 'database "connmetrics_no_such_database" does not exist' });
    expect(after.sum(FAILED, { [ERROR_TYPE]: '3D000', 'db.client.connection.pool.name': `${host}:${port}/connmetrics_no_such_database` })).toBe(1);
    expect(after.sum(FAILED)).toBe(1);
    expect(after.sum(CREATED)).toBe(0);
  });

  test('connect_timeout against a server that never answers: failed{error.type=CONNECT_TIMEOUT} and one db.client.connection.timeouts', async () => {
    const { after, seen } = await failure('connect-timeout');
    expect(seen.code).toBe('CONNECT_TIMEOUT');
    expect(after.sum(FAILED, { [ERROR_TYPE]: 'CONNECT_TIMEOUT' })).toBe(1);
    expect(after.sum(FAILED)).toBe(1);
    expect(after.sum(DB_TIMEOUTS)).toBe(1);
  });
});
