/*
 * postgres.js's pool against the shared PostgreSQL server: every number is
 * checked against the server's own view (the backends that ran the queries,
 * pg_stat_activity) or postgres.js's own events (its `onclose` option).
 */
import { postgresAddress, refusedPort, requireReachable, CLOSED, CREATED, FAILED, DB_CREATE_TIME, DB_COUNT, DB_IDLE_MAX, DB_IDLE_MIN, DB_MAX, DB_PENDING, IDLE_TIME, REUSED, REUSE_FAILED, USES, DB_USE_TIME, DB_WAIT_TIME, CONNECT, timerFloorSeconds } from '@connmetrics/test-harness';
import { ERROR_TYPE, closedBy, idle, pool, runPostgresFixture, used } from './support/fixtures';

const { host, port, database } = postgresAddress();
const NAME = `${host}:${port}/${database}`;
const ADMIN = `${host}:${port}/postgres`;

beforeAll(async () => {
  await requireReachable('PostgreSQL', host, port);
});

test('max 3, 30 queries at once: created = the distinct backends that ran them, created + reused = 30', async () => {
  const { snapshots, values } = await runPostgresFixture<{ backends: number; queries: number }>('pool.js', 'workload');
  const after = snapshots.after!;
  expect(values.queries).toBe(30);
  expect(after.sum(CREATED, pool(NAME))).toBe(values.backends);
  expect(after.sum(CREATED, pool(NAME)) + after.sum(REUSED, pool(NAME))).toBe(30);
  expect(after.count(DB_CREATE_TIME, pool(NAME))).toBe(values.backends);
  // Every query waited for its connection once (most of them for one being opened).
  expect(after.count(DB_WAIT_TIME, pool(NAME))).toBe(30);
  expect(after.count(CONNECT, pool(NAME))).toBe(values.backends);
  expect(after.attributeSets(CREATED)).toEqual([
    {
      'network.protocol.name': 'postgresql',
      'server.address': host,
      'server.port': port,
      'db.system.name': 'postgresql',
      'db.client.connection.pool.name': NAME,
    },
  ]);
  expect(after.sum(DB_MAX, pool(NAME))).toBe(3);
  expect(after.sum(DB_IDLE_MAX, pool(NAME))).toBe(3);
  expect(after.sum(DB_IDLE_MIN, pool(NAME))).toBe(0);
  expect(after.sum(DB_COUNT, idle(NAME))).toBe(values.backends);
  expect(after.sum(DB_COUNT, used(NAME))).toBe(0);
  // postgres.js's queue of waiting queries is private: not reported.
  expect(after.points(DB_PENDING)).toEqual([]);

  const ended = snapshots.ended!;
  expect(ended.sum(CLOSED, closedBy(NAME, 'client_closed'))).toBe(values.backends);
  expect(ended.count(USES, pool(NAME))).toBe(values.backends);
  expect(ended.histogramSum(USES, pool(NAME))).toBe(30);
  expect(ended.sum(DB_COUNT, pool(NAME))).toBe(0);
});

test('the count gauges are the server\'s own view of the pool: 3 sessions busy, then 3 idle', async () => {
  const { snapshots, values } = await runPostgresFixture<{ busyBackends: number; idleBackends: number }>('pool.js', 'gauges');
  expect(values).toEqual({ busyBackends: 3, idleBackends: 3 });
  expect(snapshots.busy!.sum(DB_COUNT, used(NAME))).toBe(3);
  expect(snapshots.busy!.sum(DB_COUNT, idle(NAME))).toBe(0);
  expect(snapshots.idle!.sum(DB_COUNT, used(NAME))).toBe(0);
  expect(snapshots.idle!.sum(DB_COUNT, idle(NAME))).toBe(3);
});

test('sql.reserve() and sql.begin() are one use each, whatever they run', async () => {
  const { snapshots, values } = await runPostgresFixture<{ backends: number }>('pool.js', 'reserve-begin');
  expect(values.backends).toBe(1);
  // reserve (3 queries) + begin (3 queries) + one query: 3 uses, the first one the connection's own.
  expect(snapshots.after!.sum(CREATED, pool(NAME))).toBe(1);
  expect(snapshots.after!.sum(REUSED, pool(NAME))).toBe(2);
  expect(snapshots.after!.count(DB_USE_TIME, pool(NAME))).toBe(3);
  // The BEGIN and the last query waited for their connection; a reservation has no query of its own.
  expect(snapshots.after!.count(DB_WAIT_TIME, pool(NAME))).toBe(2);
  expect(snapshots.ended!.histogramSum(USES, pool(NAME))).toBe(3);
});

test('idle_timeout closes the idle connection (closed{idle_timeout}); the next query creates one', async () => {
  const { snapshots, values } = await runPostgresFixture<{ first: number; second: number }>('pool.js', 'idle-timeout');
  expect(values.second).not.toBe(values.first);
  const closed = snapshots.closed!;
  expect(closed.sum(CREATED, pool(NAME))).toBe(1);
  expect(closed.sum(CLOSED, pool(NAME))).toBe(1);
  expect(closed.sum(CLOSED, closedBy(NAME, 'idle_timeout'))).toBe(1);
  expect(closed.count(IDLE_TIME, closedBy(NAME, 'idle_timeout'))).toBe(1);
  // idle_timeout is 0.2 s: the connection was idle at least that long.
  expect(closed.histogramSum(IDLE_TIME, closedBy(NAME, 'idle_timeout'))).toBeGreaterThanOrEqual(timerFloorSeconds(200));
  expect(closed.sum(DB_COUNT, pool(NAME))).toBe(0);
  const reopened = snapshots.reopened!;
  expect(reopened.sum(CREATED, pool(NAME))).toBe(2);
  expect(reopened.sum(REUSED, pool(NAME))).toBe(0);
  expect(reopened.sum(DB_COUNT, idle(NAME))).toBe(1);
});

test('max_lifetime ends a connection: postgres.js\'s own decision, closed{client_closed}', async () => {
  const { snapshots } = await runPostgresFixture('pool.js', 'max-lifetime');
  expect(snapshots.closed!.sum(CLOSED, pool(NAME))).toBe(1);
  expect(snapshots.closed!.sum(CLOSED, closedBy(NAME, 'client_closed'))).toBe(1);
});

test('pg_terminate_backend of an idle connection: closed{server_closed}, the next query recovers on a new connection', async () => {
  const { snapshots, values } = await runPostgresFixture<{ first: number; second: number }>('pool.js', 'terminate-idle');
  expect(values.second).not.toBe(values.first);
  const terminated = snapshots.terminated!;
  expect(terminated.sum(CLOSED, pool(NAME))).toBe(1);
  expect(terminated.sum(CLOSED, closedBy(NAME, 'server_closed'))).toBe(1);
  expect(terminated.sum(REUSE_FAILED)).toBe(0);
  expect(terminated.sum(DB_COUNT, pool(NAME))).toBe(0);
  const recovered = snapshots.recovered!;
  expect(recovered.sum(CREATED, pool(NAME))).toBe(2);
  expect(recovered.sum(DB_COUNT, idle(NAME))).toBe(1);
  // The admin pool that terminated it is counted on its own.
  expect(recovered.sum(CREATED, pool(ADMIN))).toBe(1);
  expect(recovered.sum(CLOSED, pool(ADMIN))).toBe(0);
});

test('pg_terminate_backend under a query on a reused connection: reuse_failed with the error the application saw', async () => {
  const { snapshots, values } = await runPostgresFixture<{ first: number; second: number; seen: { ok: boolean; error: { code: string } } }>(
    'pool.js',
    'terminate-in-flight',
  );
  expect(values.seen).toEqual({ ok: false, error: { name: 'Error', code: 'CONNECTION_CLOSED', message: `write CONNECTION_CLOSED ${host}:${port}` } });
  const terminated = snapshots.terminated!;
  expect(terminated.sum(CLOSED, closedBy(NAME, 'server_closed'))).toBe(1);
  expect(terminated.sum(REUSE_FAILED, { ...pool(NAME), 'error.type': 'CONNECTION_CLOSED' })).toBe(1);
  expect(terminated.sum(REUSE_FAILED)).toBe(1);
  expect(terminated.histogramSum(USES, pool(NAME))).toBe(2);
  expect(snapshots.recovered!.sum(CREATED, pool(NAME))).toBe(2);
});

test('a multi-host URL whose first host refuses: one failed attempt on it, then one connection to the next host', async () => {
  const refused = await refusedPort();
  const { snapshots, values } = await runPostgresFixture<{ pid: number }>('pool.js', 'multi-host', { args: [String(refused)] });
  expect(typeof values.pid).toBe('number');
  const after = snapshots.after!;
  // postgres.js names such a pool after its first host.
  const name = `${host}:${refused}/${database}`;
  expect(after.sum(FAILED)).toBe(1);
  expect(after.sum(FAILED, { ...pool(name), [ERROR_TYPE]: 'ECONNREFUSED', 'server.port': refused })).toBe(1);
  expect(after.sum(CREATED)).toBe(1);
  expect(after.sum(CREATED, { ...pool(name), 'server.port': port })).toBe(1);
  expect(after.sum(REUSED)).toBe(0);
});

test('connections reset (TCP RST): closed{error, ECONNRESET}; under a query on a reused connection also reuse_failed{ECONNRESET}, the error the application saw', async () => {
  const { snapshots, values } = await runPostgresFixture<{ seen: unknown; proxyPort: number }>('pool.js', 'reset');
  expect(values.seen).toEqual({ ok: false, error: { name: 'Error', code: 'ECONNRESET', message: 'read ECONNRESET' } });
  // The pool connects through a proxy on loopback, which resets its connections.
  const proxied = pool(`127.0.0.1:${values.proxyPort}/${database}`);
  const reason = (s: string) => ({ ...proxied, 'connmetrics.connection.close.reason': s, [ERROR_TYPE]: 'ECONNRESET' });
  const idleReset = snapshots['idle-reset']!;
  expect(idleReset.sum(CREATED, proxied)).toBe(1);
  expect(idleReset.sum(CLOSED, proxied)).toBe(1);
  expect(idleReset.sum(CLOSED, reason('error'))).toBe(1);
  expect(idleReset.sum(REUSE_FAILED)).toBe(0);
  const busyReset = snapshots['busy-reset']!;
  expect(busyReset.sum(CREATED, proxied)).toBe(2);
  expect(busyReset.sum(REUSED, proxied)).toBe(1);
  expect(busyReset.sum(CLOSED, proxied)).toBe(2);
  expect(busyReset.sum(CLOSED, reason('error'))).toBe(2);
  expect(busyReset.sum(REUSE_FAILED, { ...proxied, [ERROR_TYPE]: 'ECONNRESET' })).toBe(1);
  expect(busyReset.sum(REUSE_FAILED)).toBe(1);
});
