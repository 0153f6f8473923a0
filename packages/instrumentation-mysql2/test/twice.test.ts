/*
 * Two instances of the instrumentation on one MeterProvider (zero-code
 * registration plus an SDK file, say) count a pool as one instance does:
 * its gauges, wait and use times, connections and uses, each once; and when
 * the instance that counts the pool is disabled, the other takes it over.
 */
import { COUNT, CREATED, ERROR_TYPE, FAILED, CREATE_TIME, MAX, PENDING, REUSED, USE_TIME, WAIT_TIME, idle, pool, requireMysql, runMySQL2Fixture, used } from './support/fixtures';

beforeAll(requireMysql);

const NAME = 'twice';

test('two instances on one MeterProvider: the pool’s gauges, waits, uses and connections are counted once', async () => {
  const runs = await Promise.all(
    (['once', 'twice'] as const).map((scenario) => runMySQL2Fixture<{ ids: number; holding: { total: number; idle: number }; refusal: string }>('twice.js', scenario)),
  );
  const numbers = runs.map(({ snapshots, values }) => {
    const holding = snapshots.holding!;
    const after = snapshots.after!;
    return {
      // Collected while one connection is checked out: the pool's own counts.
      used: holding.points(COUNT, used(NAME)).map((point) => point.value),
      idle: holding.points(COUNT, idle(NAME)).map((point) => point.value),
      ownCounts: { used: values.holding.total - values.holding.idle, idle: values.holding.idle },
      max: holding.sum(MAX, pool(NAME)),
      pending: holding.sum(PENDING, pool(NAME)),
      // 6 + 1 + 3 checkouts, each waited for and released once.
      waits: after.count(WAIT_TIME, pool(NAME)),
      uses: after.count(USE_TIME, pool(NAME)),
      created: after.sum(CREATED, pool(NAME)),
      createTimes: after.count(CREATE_TIME, pool(NAME)),
      reused: after.sum(REUSED, pool(NAME)),
      ids: values.ids,
      failed: after.sum(FAILED, { ...pool('refused'), [ERROR_TYPE]: values.refusal }),
    };
  });
  const [once, twice] = numbers;
  expect(once).toEqual({
    used: [1],
    idle: [1],
    ownCounts: { used: 1, idle: 1 },
    max: 2,
    pending: 0,
    waits: 10,
    uses: 10,
    created: 2,
    createTimes: 2,
    reused: 8,
    ids: 2,
    failed: 1,
  });
  expect(twice).toEqual(once);
});
