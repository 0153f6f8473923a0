/*
 * Two instances of the instrumentation on one MeterProvider count each
 * connection, checkout and pool once: created and create_time equal the
 * server's pg_backend_pid()s, wait_time and use_time the checkouts, and the
 * gauges pg-pool's own counts (not twice them).
 */
import { postgresAddress, requireReachable } from '@connmetrics/test-harness';
import { CLOSED, COUNT, CREATED, CREATE_TIME, IDLE_MAX, IDLE_MIN, MAX, PENDING, REUSED, TIMEOUTS, USE_TIME, WAIT_TIME, idle, pool, runPgFixture, used } from './support/fixtures';

interface Counts {
  total: number;
  idle: number;
  waiting: number;
}

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
});

test('two instances on one MeterProvider: created = create_time = pg_backend_pid()s, a wait and a use per checkout, gauges = pg-pool’s counts, one timeout', async () => {
  const { snapshots, values } = await runPgFixture<{
    pids: number;
    checkouts: number;
    holding: Counts;
    released: Counts;
    timeout: string;
    errors: string[];
  }>('two-instances.js', 'twice');
  const name = pool('twice');
  expect(values.errors).toEqual([]);
  expect(values.timeout).toBe('timeout exceeded when trying to connect');
  expect(values.holding).toEqual({ total: 3, idle: 0, waiting: 1 });
  expect(values.released).toEqual({ total: 3, idle: 3, waiting: 0 });

  const holding = snapshots.holding!;
  expect({
    used: holding.sum(COUNT, used('twice')),
    idle: holding.sum(COUNT, idle('twice')),
    pending: holding.sum(PENDING, name),
    max: holding.sum(MAX, name),
    idleMax: holding.sum(IDLE_MAX, name),
    idleMin: holding.sum(IDLE_MIN, name),
    points: holding.points(MAX).length,
  }).toEqual({ used: 3, idle: 0, pending: 1, max: 3, idleMax: 3, idleMin: 0, points: 1 });

  const released = snapshots.released!;
  expect({
    created: released.sum(CREATED, name),
    createTimes: released.count(CREATE_TIME, name),
    uses: released.sum(CREATED, name) + released.sum(REUSED, name),
    waits: released.count(WAIT_TIME, name),
    useTimes: released.count(USE_TIME, name),
    timeouts: released.sum(TIMEOUTS, name),
    used: released.sum(COUNT, used('twice')),
    idle: released.sum(COUNT, idle('twice')),
  }).toEqual({
    created: values.pids,
    createTimes: values.pids,
    uses: values.checkouts,
    waits: values.checkouts,
    useTimes: values.checkouts,
    timeouts: 1,
    used: 0,
    idle: 3,
  });

  const ended = snapshots.ended!;
  expect({ closed: ended.sum(CLOSED, name), count: ended.sum(COUNT), max: ended.sum(MAX) }).toEqual({ closed: values.pids, count: 0, max: 0 });
});
