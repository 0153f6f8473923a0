import { TestMetrics } from '@connmetrics/test-harness';
import { PoolGauges, PoolRegistry, createDbConnectionInstruments, type PoolAttributes, type PoolCounts } from '../src';

interface FakePool {
  counts: PoolCounts;
  ended: boolean;
  listeners: number;
}

describe('PoolRegistry and PoolGauges (shared by the database packages)', () => {
  let metrics: TestMetrics;
  let registry: PoolRegistry<FakePool>;
  beforeEach(() => {
    metrics = new TestMetrics();
    const meter = metrics.meterProvider.getMeter('test');
    const instruments = createDbConnectionInstruments(meter);
    const gauges = new PoolGauges();
    registry = new PoolRegistry<FakePool>({
      ended: (pool) => pool.ended,
      listen: (pool) => {
        pool.listeners += 1;
        return () => (pool.listeners -= 1);
      },
    });
    meter.addBatchObservableCallback(
      (result) => {
        const pools: Array<readonly [PoolAttributes, PoolCounts]> = [];
        for (const [pool, entry] of registry.live()) pools.push([entry.attributes, pool.counts]);
        gauges.observe(result, instruments, pools);
      },
      [instruments.count, instruments.idleMax, instruments.idleMin, instruments.max, instruments.pendingRequests],
    );
  });

  test('each pool is registered once, named once when first needed, and read at every collection', async () => {
    const pool: FakePool = { counts: { total: 3, idle: 1, pending: 4, max: 5, idleMax: 5, idleMin: 0 }, ended: false, listeners: 0 };
    let named = 0;
    const name = () => {
      named += 1;
      return 'orders';
    };
    expect(registry.register(pool, name)).toBe(registry.register(pool, name));
    expect(pool.listeners).toBe(1);
    let snapshot = await metrics.collect();
    expect(snapshot.sum('db.client.connection.count', { 'db.client.connection.pool.name': 'orders', 'db.client.connection.state': 'used' })).toBe(2);
    expect(snapshot.sum('db.client.connection.count', { 'db.client.connection.state': 'idle' })).toBe(1);
    expect(snapshot.sum('db.client.connection.pending_requests')).toBe(4);
    expect(snapshot.sum('db.client.connection.max')).toBe(5);
    pool.counts = { total: 1, idle: 1, pending: 0 }; // no limit: max and idle bounds not reported
    snapshot = await metrics.collect();
    expect(snapshot.sum('db.client.connection.count', { 'db.client.connection.state': 'used' })).toBe(0);
    expect(snapshot.sum('db.client.connection.max')).toBe(0); // reported 0 once, then dropped
    expect(named).toBe(1);
  });

  test('pools that share a name add up; an ended pool reports 0 once, is forgotten, and its listeners removed', async () => {
    const first: FakePool = { counts: { total: 2, idle: 2, pending: 0, max: 2 }, ended: false, listeners: 0 };
    const second: FakePool = { counts: { total: 3, idle: 0, pending: 1, max: 3 }, ended: false, listeners: 0 };
    registry.register(first, () => 'shared');
    registry.register(second, () => 'shared');
    let snapshot = await metrics.collect();
    expect(snapshot.sum('db.client.connection.max', { 'db.client.connection.pool.name': 'shared' })).toBe(5);
    expect(snapshot.sum('db.client.connection.count')).toBe(5);
    first.ended = true;
    second.ended = true;
    snapshot = await metrics.collect();
    expect(snapshot.sum('db.client.connection.count')).toBe(0);
    expect([first.listeners, second.listeners]).toEqual([0, 0]);
    expect([...registry.live()]).toEqual([]);
    snapshot = await metrics.collect();
    expect(snapshot.points('db.client.connection.count').every((point) => point.value === 0)).toBe(true);
  });

  test('clear() forgets every pool and removes its listeners', () => {
    const pool: FakePool = { counts: { total: 0, idle: 0, pending: 0 }, ended: false, listeners: 0 };
    registry.register(pool, () => 'p');
    registry.clear();
    expect(pool.listeners).toBe(0);
    expect(registry.get(pool)).toBeUndefined();
  });
});
