/*
 * Two instances of the instrumentation on one MeterProvider (zero-code
 * registration plus an SDK file, say) count a pool as one instance does:
 * its gauges, wait and use times, connections, uses and failures, each once;
 * and when the instance that counts the pool is disabled, the other takes it over.
 */
import { postgresAddress, requireReachable, CREATED, DB_CREATE_TIME as CREATE_TIME, DB_COUNT, DB_MAX, DB_USE_TIME, DB_WAIT_TIME, FAILED, REUSED } from '@connmetrics/test-harness';
import { ERROR_TYPE, idle, pool, runPostgresFixture, used } from './support/fixtures';

const { host, port, database } = postgresAddress();
const NAME = `${host}:${port}/${database}`;

beforeAll(async () => {
  await requireReachable('PostgreSQL', host, port);
});

test('two instances on one MeterProvider: the pool’s gauges, waits, uses, connections and failures are counted once', async () => {
  const runs = await Promise.all(
    (['once', 'twice'] as const).map((scenario) => runPostgresFixture<{ backends: number; active: number; refusal: string }>('twice.js', scenario)),
  );
  const [once, twice] = runs.map(({ snapshots, values }) => {
    const busy = snapshots.busy!;
    const after = snapshots.after!;
    return {
      // Collected while both connections run a query the server lists as active.
      used: busy.points(DB_COUNT, used(NAME)).map((point) => point.value),
      active: values.active,
      idle: busy.sum(DB_COUNT, idle(NAME)),
      max: busy.sum(DB_MAX, pool(NAME)),
      // 6 + 2 + 3 queries, each waited for its connection (the reservation's queries had theirs).
      waits: after.count(DB_WAIT_TIME, pool(NAME)),
      uses: after.count(DB_USE_TIME, pool(NAME)),
      created: after.sum(CREATED, pool(NAME)),
      createTimes: after.count(CREATE_TIME, pool(NAME)),
      createdPlusReused: after.sum(CREATED, pool(NAME)) + after.sum(REUSED, pool(NAME)),
      backends: values.backends,
      failed: after.sum(FAILED, { [ERROR_TYPE]: values.refusal }),
    };
  });
  // use_time: one per busy period of a connection (postgres.js may pipeline the parallel queries): the same with two instances.
  const { uses, ...exact } = once!;
  expect(uses).toBeGreaterThanOrEqual(8);
  expect(exact).toEqual({
    used: [2],
    active: 2,
    idle: 0,
    max: 2,
    waits: 11,
    created: 2,
    createTimes: 2,
    createdPlusReused: 12, // 11 queries and one reservation
    backends: 2,
    failed: 1,
  });
  expect(twice).toEqual(once);
});
