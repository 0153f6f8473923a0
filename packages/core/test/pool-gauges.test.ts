/*
 * The pool machinery the database packages share (pool-registry.ts,
 * pool-gauges.ts, pool-timings.ts) through a real MeterProvider, with the
 * claims two instances of one instrumentation make on one provider.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Meter } from '@opentelemetry/api';
import { TestMetrics, DB_COUNT, DB_IDLE_MAX, DB_MAX, DB_PENDING, DB_TIMEOUTS, DB_USE_TIME, DB_WAIT_TIME, DB_CREATE_TIME } from '@connmetrics/test-harness';
import { ConnectionClaims } from '../src/claims';
import { PoolMetrics, PoolRegistry, PoolTimings, createDbConnectionInstruments, defaultPoolName, reportPoolGauges, type DbConnectionInstruments, type PoolCounts } from '../src';

interface FakePool {
  counts: PoolCounts | undefined;
  ended: boolean;
  listeners: number;
  /** Times the registry named it. */
  named: number;
}

const POOL_NAME = 'db.client.connection.pool.name';
const STATE = 'db.client.connection.state';
const used = (name: string) => ({ [POOL_NAME]: name, [STATE]: 'used' });
const idle = (name: string) => ({ [POOL_NAME]: name, [STATE]: 'idle' });

const fakePool = (counts: PoolCounts | undefined): FakePool => ({ counts, ended: false, listeners: 0, named: 0 });

/** One instance of an instrumentation: its claims, its registry, its instruments on `meter`, its timings. */
function instance(meter: Meter, provider: object) {
  const claims = new ConnectionClaims('@connmetrics/test-db');
  claims.provider = provider;
  claims.active = true;
  /** Times the registry asked for its claim of a pool. */
  const claimed = { count: 0 };
  const registry = new PoolRegistry<FakePool, { name: string }>({
    name: (pool, source) => {
      pool.named += 1;
      return source?.name ?? 'unnamed';
    },
    claim: (pool) => {
      claimed.count += 1;
      return claims.claim(pool);
    },
    claimEpoch: () => claims.epoch,
    counts: (pool) => pool.counts,
    ended: (pool) => pool.ended,
    listen: (pool) => void (pool.listeners += 1),
    unlisten: (pool) => void (pool.listeners -= 1),
  });
  const instruments: DbConnectionInstruments = createDbConnectionInstruments(meter);
  const leave = reportPoolGauges(meter, instruments, registry);
  const timings = new PoolTimings(() => instruments);
  return { claims, claimed, registry, timings, leave };
}

let metrics: TestMetrics;
let meter: Meter;
beforeEach(() => {
  metrics = new TestMetrics();
  meter = metrics.meterProvider.getMeter('@connmetrics/test-db');
});
afterEach(async () => {
  await metrics.shutdown();
});

test('the default pool name is server.address:server.port/database', () => {
  expect(defaultPoolName({ address: '127.0.0.1', port: 3306, database: 'test' })).toBe('127.0.0.1:3306/test');
  expect(defaultPoolName({ address: '/run/mysqld/mysqld.sock', database: 'test' })).toBe('/run/mysqld/mysqld.sock:/test');
});

describe('PoolRegistry and the pool gauges', () => {
  test('each pool is registered once, named once when first needed, and read at every collection', async () => {
    const { registry } = instance(meter, metrics.meterProvider);
    const pool = fakePool({ total: 3, idle: 1, pending: 4, max: 5, idleMax: 5, idleMin: 0 });
    const source = { name: 'orders' };
    expect(registry.register(pool, source)).toBe(registry.register(pool, { name: 'other' }));
    expect(pool.listeners).toBe(1);
    let snapshot = await metrics.collect();
    expect(snapshot.sum(DB_COUNT, used('orders'))).toBe(2);
    expect(snapshot.sum(DB_COUNT, idle('orders'))).toBe(1);
    expect(snapshot.sum(DB_PENDING)).toBe(4);
    expect(snapshot.sum(DB_MAX)).toBe(5);
    pool.counts = { total: 1, idle: 1 }; // no limit, no pending count: neither reported
    snapshot = await metrics.collect();
    expect(snapshot.sum(DB_COUNT, used('orders'))).toBe(0);
    expect(snapshot.sum(DB_MAX)).toBe(0); // reported 0 once, then dropped
    expect(snapshot.sum(DB_PENDING)).toBe(0);
    pool.counts = undefined; // not reported now (postgres.js: a pool that never connected)
    snapshot = await metrics.collect();
    expect(snapshot.sum(DB_COUNT, idle('orders'))).toBe(0);
    expect(pool.named).toBe(1);
  });

  test('identify(): a pool registered before what names it is named from the first source it is given, once', async () => {
    const { registry } = instance(meter, metrics.meterProvider);
    const pool = fakePool({ total: 1, idle: 1, max: 1 });
    const entry = registry.register(pool);
    entry.identify({ name: 'first-client' });
    entry.identify({ name: 'second-client' });
    expect([entry.attributes.name, pool.named]).toEqual(['first-client', 1]);
    const snapshot = await metrics.collect();
    expect(snapshot.sum(DB_COUNT, idle('first-client'))).toBe(1);
    // Named already (here at a collection, from no source): identify() changes nothing.
    const unnamed = fakePool({ total: 0, idle: 0 });
    const other = registry.register(unnamed);
    expect(other.attributes.name).toBe('unnamed');
    other.identify({ name: 'late' });
    expect([other.attributes.name, unnamed.named]).toEqual(['unnamed', 1]);
  });

  test('pools that share a name add up; an ended pool reports 0 once, is forgotten, and its listeners removed', async () => {
    const { registry } = instance(meter, metrics.meterProvider);
    const first = fakePool({ total: 2, idle: 2, pending: 0, max: 2 });
    const second = fakePool({ total: 3, idle: 0, pending: 1, max: 3 });
    registry.register(first, { name: 'shared' });
    registry.register(second, { name: 'shared' });
    let snapshot = await metrics.collect();
    expect(snapshot.sum(DB_MAX, { [POOL_NAME]: 'shared' })).toBe(5);
    expect(snapshot.sum(DB_COUNT)).toBe(5);
    first.ended = true;
    second.ended = true;
    snapshot = await metrics.collect();
    expect(snapshot.sum(DB_COUNT)).toBe(0);
    expect([first.listeners, second.listeners]).toEqual([0, 0]);
    expect([...registry.live()]).toEqual([]);
    snapshot = await metrics.collect();
    expect(snapshot.points(DB_COUNT).every((point) => point.value === 0)).toBe(true);
  });

  test('clear() forgets every pool and removes its listeners', () => {
    const { registry } = instance(meter, metrics.meterProvider);
    const pool = fakePool({ total: 0, idle: 0, pending: 0 });
    registry.register(pool, { name: 'p' });
    registry.clear();
    expect(pool.listeners).toBe(0);
    expect(registry.get(pool)).toBeUndefined();
  });

  test('two instances on one MeterProvider: a pool both hold is reported once, by the one that claimed it', async () => {
    const a = instance(meter, metrics.meterProvider);
    const b = instance(meter, metrics.meterProvider);
    const pool = fakePool({ total: 4, idle: 1, pending: 2, max: 10, idleMax: 10, idleMin: 0 });
    a.registry.register(pool, { name: 'orders' });
    b.registry.register(pool, { name: 'orders' });
    const snapshot = await metrics.collect();
    expect(snapshot.points(DB_COUNT, used('orders')).map((point) => point.value)).toEqual([3]);
    expect([snapshot.sum(DB_COUNT, idle('orders')), snapshot.sum(DB_PENDING), snapshot.sum(DB_MAX), snapshot.sum(DB_IDLE_MAX)]).toEqual([1, 2, 10, 10]);
    expect([a.claims.ownedElsewhere(pool), b.claims.ownedElsewhere(pool)]).toEqual([false, true]);
  });

  test('pools of one name claimed by two instances add up to one series (one callback per SDK Meter)', async () => {
    const a = instance(meter, metrics.meterProvider);
    const b = instance(meter, metrics.meterProvider);
    const first = fakePool({ total: 2, idle: 2, max: 2 });
    const second = fakePool({ total: 3, idle: 1, max: 3 });
    a.registry.register(first, { name: 'shared' });
    b.registry.register(second, { name: 'shared' });
    // b asks first for the second pool: each instance owns one of them.
    expect(b.claims.claim(second)).toBe(true);
    let snapshot = await metrics.collect();
    expect(snapshot.points(DB_COUNT, idle('shared')).map((point) => point.value)).toEqual([3]);
    expect(snapshot.sum(DB_COUNT, used('shared'))).toBe(2);
    expect(snapshot.sum(DB_MAX, { [POOL_NAME]: 'shared' })).toBe(5);
    // An instance that leaves the MeterProvider's gauges takes its pools with it.
    b.leave();
    snapshot = await metrics.collect();
    expect(snapshot.sum(DB_MAX, { [POOL_NAME]: 'shared' })).toBe(2);
  });

  test('a disabled instance reports nothing; the other takes its pools over', async () => {
    const a = instance(meter, metrics.meterProvider);
    const b = instance(meter, metrics.meterProvider);
    const pool = fakePool({ total: 2, idle: 0, max: 2 });
    a.registry.register(pool, { name: 'orders' });
    b.registry.register(pool, { name: 'orders' });
    await metrics.collect(); // a claims it
    a.claims.active = false;
    const snapshot = await metrics.collect();
    expect(snapshot.points(DB_COUNT, used('orders')).map((point) => point.value)).toEqual([2]);
    expect([a.claims.ownedElsewhere(pool), b.claims.ownedElsewhere(pool)]).toEqual([true, false]);
  });
});

describe('PoolTimings', () => {
  test('create, wait and use time and timeouts of a pool, recorded only by the instance that counts it', async () => {
    const a = instance(meter, metrics.meterProvider);
    const b = instance(meter, metrics.meterProvider);
    const pool = fakePool({ total: 1, idle: 0 });
    const entries = [a.registry.register(pool, { name: 'orders' }), b.registry.register(pool, { name: 'orders' })];
    const connection = {};
    // Both instances see every event of the pool: one records.
    for (let checkout = 0; checkout < 3; checkout += 1) {
      for (const [i, { timings }] of [a, b].entries()) {
        if (checkout === 0) timings.created(entries[i]!, performance.now());
        timings.handedOut(connection, entries[i]!, performance.now());
        expect(timings.isOut(connection)).toBe(true);
      }
      for (const { timings } of [a, b]) expect(timings.released(connection)).toBe(true);
    }
    for (const [i, { timings }] of [a, b].entries()) timings.timedOut(entries[i]!);
    // Released twice without a checkout between: one use.
    expect(a.timings.released(connection)).toBe(false);
    const snapshot = await metrics.collect();
    expect([
      snapshot.count(DB_CREATE_TIME, { [POOL_NAME]: 'orders' }),
      snapshot.count(DB_WAIT_TIME, { [POOL_NAME]: 'orders' }),
      snapshot.count(DB_USE_TIME, { [POOL_NAME]: 'orders' }),
      snapshot.sum(DB_TIMEOUTS, { [POOL_NAME]: 'orders' }),
    ]).toEqual([1, 3, 3, 1]);
  });

  test('a claim is asked once while it holds (no WeakRef read per checkout); a disable hands the recordings over, and back only when the other lapses', async () => {
    const a = instance(meter, metrics.meterProvider);
    const b = instance(meter, metrics.meterProvider);
    const pool = fakePool({ total: 1, idle: 0 });
    const entries = [a.registry.register(pool, { name: 'orders' }), b.registry.register(pool, { name: 'orders' })] as const;
    /** `count` checkouts seen by both instances; how many times each asked for its claim meanwhile. */
    const waits = (count: number) => {
      const before = [a.claimed.count, b.claimed.count];
      for (let checkout = 0; checkout < count; checkout += 1) {
        a.timings.waited(entries[0], performance.now());
        b.timings.waited(entries[1], performance.now());
      }
      return [a.claimed.count - before[0]!, b.claimed.count - before[1]!];
    };
    const recorded = async () => (await metrics.collect()).count(DB_WAIT_TIME, { [POOL_NAME]: 'orders' });
    // a owns it: asked once; b is refused at each checkout (a claim that says no is never kept).
    expect(waits(5)).toEqual([1, 5]);
    expect(await recorded()).toBe(5);
    a.claims.active = false;
    // The disable changed a's epoch: it asks again (and is refused each time); b asks once and takes it over.
    expect(waits(4)).toEqual([4, 1]);
    expect(await recorded()).toBe(9);
    a.claims.active = true;
    expect(waits(3)).toEqual([3, 0]); // b keeps it
    expect(await recorded()).toBe(12);
    b.claims.active = false;
    expect(waits(2)).toEqual([1, 2]); // back to a, asked once
    expect(await recorded()).toBe(14);
    expect(b.claims.ownedElsewhere(pool)).toBe(true);
  });

  test('a connection that closed while checked out is never released; clear() forgets every checkout', () => {
    const { registry, timings } = instance(meter, metrics.meterProvider);
    const entry = registry.register(fakePool(undefined), { name: 'p' });
    const closed = {};
    const open = {};
    timings.handedOut(closed, entry, performance.now());
    timings.handedOut(open, entry, performance.now());
    timings.forget(closed);
    expect(timings.released(closed)).toBe(false);
    timings.clear();
    expect(timings.isOut(open)).toBe(false);
  });
});

describe('PoolMetrics', () => {
  test('useMeter(): the gauges and timings record on the newest MeterProvider only, the previous one reports the pool 0 once', async () => {
    const claims = new ConnectionClaims('@connmetrics/test-db');
    claims.provider = metrics.meterProvider;
    claims.active = true;
    const registry = new PoolRegistry<FakePool, { name: string }>({
      name: (_pool, source) => source?.name ?? 'unnamed',
      claim: (pool) => claims.claim(pool),
      claimEpoch: () => claims.epoch,
      counts: (pool) => pool.counts,
    });
    const poolMetrics = new PoolMetrics(registry);
    poolMetrics.useMeter(meter);
    const entry = registry.register(fakePool({ total: 2, idle: 1, max: 2 }), { name: 'orders' });
    poolMetrics.timings.waited(entry, performance.now());
    let snapshot = await metrics.collect();
    expect([snapshot.sum(DB_MAX), snapshot.count(DB_WAIT_TIME)]).toEqual([2, 1]);

    const next = new TestMetrics();
    try {
      claims.provider = next.meterProvider;
      poolMetrics.useMeter(next.meterProvider.getMeter('@connmetrics/test-db'));
      poolMetrics.timings.waited(entry, performance.now());
      const moved = await next.collect();
      expect([moved.sum(DB_MAX), moved.count(DB_WAIT_TIME)]).toEqual([2, 1]);
      snapshot = await metrics.collect();
      expect([snapshot.points(DB_MAX).map((point) => point.value), snapshot.count(DB_WAIT_TIME)]).toEqual([[0], 1]);
    } finally {
      await next.shutdown();
    }
  });
});

test('a registered pool the application drops is collected: the registry holds it, its source and its listeners weakly', async () => {
  const { registry } = instance(meter, metrics.meterProvider);
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  let collected = 0;
  const finalization = new FinalizationRegistry(() => (collected += 1));
  (() => {
    for (let i = 0; i < 10; i += 1) {
      const pool = fakePool({ total: 1, idle: 1 });
      const source = { name: `p${i}` };
      finalization.register(pool, 'pool');
      finalization.register(source, 'source');
      registry.register(pool, source);
    }
  })();
  await metrics.collect(); // names every pool
  for (let round = 0; round < 20 && collected < 20; round += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  expect(collected).toBe(20);
  expect([...registry.live()]).toEqual([]);
});
