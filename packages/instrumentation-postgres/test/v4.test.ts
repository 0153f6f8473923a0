/*
 * postgres.js 4 (an ES module rewrite with diagnostics channels), counted
 * from its channels: created connections against the server's backends
 * (pg_backend_pid()), every query a use, reserve()/begin() one use each,
 * failed attempts, the server ending connections, and connections opened
 * while the instrumentation was disabled.
 */
import {
  postgresAddress,
  refusedPort,
  requireReachable,
  CLOSED,
  CONNECT,
  CREATED,
  DB_COUNT,
  DB_CREATE_TIME,
  DB_PENDING,
  DB_USE_TIME,
  DB_WAIT_TIME,
  FAILED,
  REUSED,
  REUSE_FAILED,
  type MetricsSnapshot,
} from '@connmetrics/test-harness';
import { ERROR_TYPE, closedBy, idle, pool, runPostgresFixture, used } from './support/fixtures';

const { host, port, database } = postgresAddress();
const NAME = `${host}:${port}/${database}`;

beforeAll(async () => {
  await requireReachable('PostgreSQL', host, port);
});

/** What the pool workload (v4.js poolWorkload()) records on the pool. */
const poolCounts = (after: MetricsSnapshot) => ({
  created: after.sum(CREATED, pool(NAME)),
  reused: after.sum(REUSED, pool(NAME)),
  waits: after.count(DB_WAIT_TIME, pool(NAME)),
  useTimes: after.count(DB_USE_TIME, pool(NAME)),
  createTimes: after.count(DB_CREATE_TIME, pool(NAME)),
  connects: after.count(CONNECT, pool(NAME)),
  idle: after.sum(DB_COUNT, idle(NAME)),
});

/** The same from the server's count of the pool's backends and those of them that ran a query: 60 queries, each timed. */
const expectedPoolCounts = ({ backends, queriedOn }: { backends: number; queriedOn: number }) => ({
  created: backends,
  reused: 60 - queriedOn,
  waits: 60,
  useTimes: 60,
  createTimes: backends,
  connects: backends,
  idle: backends,
});

test('a pool of 3, 30 queries at once then 30 in turn: created = the server\'s backends, reused = 60 − backends that ran one, each query timed once, each TCP connect timed, gauges from postgres.js\'s own counts', async () => {
  const { snapshots, values } = await runPostgresFixture<{ backends: number; queriedOn: number }>('v4.js', 'pool');
  const after = snapshots.after!;
  const { backends } = values;
  expect({ ...poolCounts(after), used: after.sum(DB_COUNT, used(NAME)), pending: after.sum(DB_PENDING, pool(NAME)) }).toEqual({
    ...expectedPoolCounts(values),
    used: 0,
    pending: 0,
  });
  const ended = snapshots.ended!;
  expect({ closed: ended.sum(CLOSED, closedBy(NAME, 'client_closed')), all: ended.sum(CLOSED, pool(NAME)), idle: ended.sum(DB_COUNT, idle(NAME)) }).toEqual({
    closed: backends,
    all: backends,
    idle: 0,
  });
});

test('sql.reserve() with 3 queries, sql.begin() with 3, then a query: 3 uses of one backend', async () => {
  const { snapshots, values } = await runPostgresFixture<{ backends: number }>('v4.js', 'reserve-begin');
  const after = snapshots.after!;
  expect(values.backends).toBe(1);
  expect({ created: after.sum(CREATED, pool(NAME)), reused: after.sum(REUSED, pool(NAME)), waits: after.count(DB_WAIT_TIME, pool(NAME)) }).toEqual({
    created: 1,
    reused: 2,
    waits: 3,
  });
});

test('connection refused: one failed{error.type=ECONNREFUSED}, and the application sees ECONNREFUSED', async () => {
  const closedPort = await refusedPort();
  const { snapshots, values } = await runPostgresFixture<{ seen: { ok: boolean; error?: { code?: string } } }>('v4.js', 'refused', { args: [String(closedPort)] });
  expect(values.seen).toMatchObject({ ok: false, error: { code: 'ECONNREFUSED' } });
  const after = snapshots.after!;
  expect({ failed: after.sum(FAILED), refused: after.sum(FAILED, { [ERROR_TYPE]: 'ECONNREFUSED', 'server.port': closedPort }), created: after.sum(CREATED) }).toEqual({
    failed: 1,
    refused: 1,
    created: 0,
  });
});

test('the server ends a connection between queries, then one during a query: server_closed twice, one reuse failure (57P01), a new backend each time', async () => {
  const { snapshots, values } = await runPostgresFixture<{ backends: number; seen: { ok: boolean; error?: { code?: string } } }>('v4.js', 'terminated');
  expect(values.backends).toBe(3);
  expect(values.seen).toMatchObject({ ok: false, error: { code: '57P01' } });
  const after = snapshots.after!;
  expect({
    created: after.sum(CREATED, pool(NAME)),
    reused: after.sum(REUSED, pool(NAME)),
    serverClosed: after.sum(CLOSED, closedBy(NAME, 'server_closed')),
    closed: after.sum(CLOSED, pool(NAME)),
    reuseFailed: after.sum(REUSE_FAILED, { ...pool(NAME), [ERROR_TYPE]: '57P01' }),
  }).toEqual({ created: 3, reused: 1, serverClosed: 2, closed: 2, reuseFailed: 1 });
});

test('a connection opened while disabled is adopted at its next use: 3 uses after enable(), all reused, none created', async () => {
  const { snapshots, values } = await runPostgresFixture<{ backends: number }>('v4.js', 'enabled-late');
  expect(values.backends).toBe(1);
  const after = snapshots.after!;
  expect({ created: after.sum(CREATED, pool(NAME)), reused: after.sum(REUSED, pool(NAME)) }).toEqual({ created: 0, reused: 3 });
});

test('two instances on one MeterProvider count every connection, use, wait and failure once', async () => {
  const closedPort = await refusedPort();
  const { snapshots, values } = await runPostgresFixture<{ backends: number; queriedOn: number }>('v4.js', 'twice', { args: [String(closedPort)] });
  const after = snapshots.after!;
  expect({ ...poolCounts(after), failed: after.sum(FAILED, { [ERROR_TYPE]: 'ECONNREFUSED', 'server.port': closedPort }) }).toEqual({
    ...expectedPoolCounts(values),
    failed: 1,
  });
  expect(snapshots.ended!.sum(CLOSED, closedBy(NAME, 'client_closed'))).toBe(values.backends);
});
