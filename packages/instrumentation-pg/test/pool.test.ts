import { postgresAddress, requireReachable, timerFloorSeconds, type MetricsSnapshot } from '@connmetrics/test-harness';
import {
  CLOSED,
  CONNECT,
  COUNT,
  CREATED,
  CREATE_TIME,
  FAILED,
  IDLE_MAX,
  IDLE_MIN,
  MAX,
  PENDING,
  REUSED,
  TIMEOUTS,
  USE_TIME,
  WAIT_TIME,
  ERROR_TYPE,
  idle,
  pool,
  runPgFixture,
  used,
  CLOSE_REASON,
  IDLE_TIME,
  REUSE_FAILED,
  USES,
  SERVER,
  sharedPoolName,
} from './support/fixtures';

interface SeenError {
  name: string;
  code?: string;
  message: string;
}

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
});

/** The pool's own counters, observed by the fixture in the same collection. */
const poolTotal = (snapshot: MetricsSnapshot) => snapshot.sum('fixture.pool.total');

describe('pg.Pool', () => {
  test('max 3, 30 queries at once: created 3, reused 27; pending_requests rises and returns to 0; used + idle = totalCount at every collection', async () => {
    const { snapshots, values } = await runPgFixture<{ collections: number; backends: number; name: string }>('pool.js', 'parallel');
    const name = values.name; // the pool's application_name, the fixture's own
    const during = Object.keys(snapshots)
      .filter((key) => key.startsWith('during-'))
      .map((key) => snapshots[key]!);
    expect(during.length).toBe(values.collections);
    expect(during.length).toBeGreaterThan(1);

    // Issued synchronously: 3 connections being opened, 27 requests waiting.
    const first = during[0]!;
    expect(first.sum(COUNT, used(name))).toBe(3);
    expect(first.sum(COUNT, idle(name))).toBe(0);
    expect(first.sum(PENDING, pool(name))).toBe(27);
    for (const snapshot of [...during, snapshots.after!, snapshots.ended!]) {
      expect(snapshot.sum(COUNT, used(name)) + snapshot.sum(COUNT, idle(name))).toBe(poolTotal(snapshot));
      expect(snapshot.sum(PENDING, pool(name))).toBe(snapshot.sum('fixture.pool.waiting'));
      expect(snapshot.sum(COUNT, idle(name))).toBe(snapshot.sum('fixture.pool.idle'));
    }

    const after = snapshots.after!;
    expect(after.sum(CREATED, pool(name))).toBe(3);
    expect(after.sum(REUSED, pool(name))).toBe(27);
    expect(values.backends).toBe(3); // the server's own count of the pool's connections
    expect(after.sum(FAILED)).toBe(0);
    expect(after.sum(COUNT, used(name))).toBe(0);
    expect(after.sum(COUNT, idle(name))).toBe(3);
    expect(after.sum(PENDING, pool(name))).toBe(0);
    expect(after.sum(MAX, pool(name))).toBe(3);
    expect(after.sum(IDLE_MAX, pool(name))).toBe(3);
    expect(after.sum(IDLE_MIN, pool(name))).toBe(0);
    expect(after.count(CREATE_TIME, pool(name))).toBe(3);
    expect(after.count(WAIT_TIME, pool(name))).toBe(30);
    expect(after.count(USE_TIME, pool(name))).toBe(30);
    expect(after.count(CONNECT, pool(name))).toBe(3);
    expect(after.sum(TIMEOUTS)).toBe(0);

    // The common attributes, exactly.
    expect(after.attributeSets(CREATED)).toContainEqual({
      'network.protocol.name': 'postgresql',
      'db.system.name': 'postgresql',
      'server.address': SERVER.address,
      'server.port': SERVER.port,
      'db.client.connection.pool.name': name,
    });
    expect(after.attributeSets(COUNT)).toEqual(expect.arrayContaining([used(name), idle(name)]));

    // pool.end(): every series of the pool reports 0 once.
    const ended = snapshots.ended!;
    for (const metric of [MAX, IDLE_MAX, PENDING]) expect(ended.sum(metric, pool(name))).toBe(0);
    expect(ended.sum(COUNT, pool(name))).toBe(0);
    expect(ended.sum(CLOSED, pool(name))).toBe(3);
    expect(ended.sum(CLOSED, { ...pool(name), [ERROR_TYPE]: undefined })).toBe(3); // closed in order, no error
  });

  test('two pools to the same database, different names and loads: separate exact numbers', async () => {
    const { snapshots } = await runPgFixture('pool.js', 'twoPools');
    const holding = snapshots.holding!;
    // orders: max 2, 10 sequential queries, then one checkout held.
    expect(holding.sum(CREATED, pool('orders'))).toBe(1);
    expect(holding.sum(REUSED, pool('orders'))).toBe(10);
    expect(holding.sum(COUNT, used('orders'))).toBe(1);
    expect(holding.sum(COUNT, idle('orders'))).toBe(0);
    expect(holding.sum(MAX, pool('orders'))).toBe(2);
    expect(holding.count(WAIT_TIME, pool('orders'))).toBe(11);
    expect(holding.count(USE_TIME, pool('orders'))).toBe(10);
    // reports: max 4, 20 queries at once, then two checkouts held.
    expect(holding.sum(CREATED, pool('reports'))).toBe(4);
    expect(holding.sum(REUSED, pool('reports'))).toBe(18);
    expect(holding.sum(COUNT, used('reports'))).toBe(2);
    expect(holding.sum(COUNT, idle('reports'))).toBe(2);
    expect(holding.sum(MAX, pool('reports'))).toBe(4);
    expect(holding.count(WAIT_TIME, pool('reports'))).toBe(22);
    expect(holding.count(USE_TIME, pool('reports'))).toBe(20);

    const released = snapshots.released!;
    expect(released.sum(COUNT, used('orders'))).toBe(0);
    expect(released.sum(COUNT, idle('orders'))).toBe(1);
    expect(released.sum(COUNT, used('reports'))).toBe(0);
    expect(released.sum(COUNT, idle('reports'))).toBe(4);

    // Ending one pool leaves the other's numbers as they were.
    const ordersEnded = snapshots['orders-ended']!;
    expect(ordersEnded.sum(COUNT, pool('orders'))).toBe(0);
    expect(ordersEnded.sum(MAX, pool('orders'))).toBe(0);
    expect(ordersEnded.sum(COUNT, idle('reports'))).toBe(4);
    expect(ordersEnded.sum(MAX, pool('reports'))).toBe(4);
  });

  test('without a name, pools are named host:port/database, and pools sharing a name add up', async () => {
    const { snapshots } = await runPgFixture('pool.js', 'sameName');
    const name = sharedPoolName();
    const both = snapshots.both!;
    expect(both.sum(CREATED, pool(name))).toBe(3);
    expect(both.sum(REUSED, pool(name))).toBe(0);
    expect(both.sum(COUNT, idle(name))).toBe(3);
    expect(both.sum(MAX, pool(name))).toBe(2 + 3);
    expect(both.points(COUNT, idle(name))).toHaveLength(1);
    const firstEnded = snapshots['first-ended']!;
    expect(firstEnded.sum(COUNT, idle(name))).toBe(2);
    expect(firstEnded.sum(MAX, pool(name))).toBe(3);
    expect(snapshots['both-ended']!.sum(MAX, pool(name))).toBe(0);
  });

  test('connectionTimeoutMillis with an exhausted pool: timeouts counts each, the application gets pg-pool’s own error', async () => {
    const { snapshots, values } = await runPgFixture<{ errors: SeenError[] }>('pool.js', 'exhausted');
    const name = 'exhausted';
    expect(values.errors).toEqual([
      { name: 'Error', message: 'timeout exceeded when trying to connect' },
      { name: 'Error', message: 'timeout exceeded when trying to connect' },
    ]);
    expect(snapshots.waiting!.sum(PENDING, pool(name))).toBe(2);
    expect(snapshots.waiting!.sum(TIMEOUTS, pool(name))).toBe(0);
    const timedOut = snapshots['timed-out']!;
    expect(timedOut.sum(TIMEOUTS, pool(name))).toBe(2);
    expect(timedOut.sum(PENDING, pool(name))).toBe(0);
    expect(timedOut.sum(COUNT, used(name))).toBe(1);
    const after = snapshots.after!;
    expect(after.sum(TIMEOUTS, pool(name))).toBe(2);
    expect(after.sum(CREATED, pool(name))).toBe(1);
    expect(after.sum(REUSED, pool(name))).toBe(1); // a timed-out checkout is no use
    expect(after.sum(FAILED)).toBe(0); // and no connection failed
    expect(after.count(WAIT_TIME, pool(name))).toBe(2);
  });

  test('50 pools used and ended: each reports 0 once it ended, and leaves no state behind', async () => {
    const { snapshots, values } = await runPgFixture<{ pools: number; tracked: number }>('pool.js', 'poolChurn');
    expect(values).toEqual({ pools: 0, tracked: 0 });
    expect(snapshots['first-open']!.sum(COUNT, idle('churn-0'))).toBe(1);
    // While the last pool is open, the 49 before it report 0 (the SDK keeps exporting a series' last value).
    const lastOpen = snapshots.open!;
    expect(lastOpen.sum(MAX, pool('churn-49'))).toBe(1);
    expect(lastOpen.points(MAX)).toHaveLength(50);
    expect(lastOpen.sum(MAX)).toBe(1);
    const ended = snapshots.ended!;
    expect(ended.sum(CREATED)).toBe(50);
    expect(ended.sum(CLOSED)).toBe(50);
    expect(ended.sum(MAX)).toBe(0);
    expect(ended.sum(COUNT)).toBe(0);
    expect(snapshots.later!.sum(MAX)).toBe(0);
  });

  test('pg_terminate_backend on an idle pooled connection: server_closed (no error.type), no reuse failure (pg-pool dropped it before any checkout), gauges exact, next checkout created', async () => {
    const { snapshots, values } = await runPgFixture<{ poolErrors: SeenError[]; samePid: boolean }>('pool.js', 'terminated');
    const name = 'terminated';
    expect(values.poolErrors).toEqual([
      { name: 'DatabaseError', code: '57P01', message: 'terminating connection due to administrator command' },
    ]);
    const before = snapshots.before!;
    expect(before.sum(CREATED, pool(name))).toBe(1);
    expect(before.sum(REUSED, pool(name))).toBe(2);
    expect(before.sum(COUNT, idle(name))).toBe(1);

    const terminated = snapshots.terminated!;
    expect(terminated.sum(COUNT, used(name))).toBe(0);
    expect(terminated.sum(COUNT, idle(name))).toBe(0);
    expect(terminated.sum(CLOSED, { ...pool(name), [CLOSE_REASON]: 'server_closed', [ERROR_TYPE]: undefined })).toBe(1);
    expect(terminated.sum(CLOSED, pool(name))).toBe(1);
    expect(terminated.count(IDLE_TIME, { ...pool(name), [CLOSE_REASON]: 'server_closed' })).toBe(1);
    expect([terminated.count(USES, pool(name)), terminated.histogramSum(USES, pool(name))]).toEqual([1, 3]);
    expect(terminated.sum(REUSE_FAILED)).toBe(0);

    const after = snapshots.after!;
    expect(values.samePid).toBe(false);
    expect(after.sum(CREATED, pool(name))).toBe(2);
    expect(after.sum(REUSED, pool(name))).toBe(2);
    expect(after.sum(COUNT, used(name))).toBe(0);
    expect(after.sum(COUNT, idle(name))).toBe(1);
    expect(after.sum(FAILED)).toBe(0);
  });

  test('pg_terminate_backend during a query on a checked-out connection: the query fails with 57P01, the checkout is timed, the next one is created', async () => {
    const { snapshots, values } = await runPgFixture<{ queryError: SeenError }>('pool.js', 'terminatedInUse');
    const name = 'terminated-in-use';
    expect(values.queryError).toEqual({
      name: 'DatabaseError',
      code: '57P01',
      message: 'terminating connection due to administrator command',
    });
    const terminated = snapshots.terminated!;
    expect(terminated.sum(CLOSED, { ...pool(name), [CLOSE_REASON]: 'server_closed', [ERROR_TYPE]: undefined })).toBe(1);
    expect(terminated.sum(REUSE_FAILED)).toBe(0); // the connection's first use: no reuse failure
    expect(terminated.count(IDLE_TIME, pool(name))).toBe(0); // it closed while checked out: not idle
    expect(terminated.sum(COUNT, pool(name))).toBe(0);
    expect(terminated.count(USE_TIME, pool(name))).toBe(1);
    const after = snapshots.after!;
    expect(after.sum(CREATED, pool(name))).toBe(2);
    expect(after.sum(REUSED, pool(name))).toBe(0);
    expect(after.sum(COUNT, idle(name))).toBe(1);
  });

  test('the keep-alive race: a backend terminated while idle in the pool, the next checkout (a reuse) fails its query: reuse_failed 1 with the error the application saw', async () => {
    const { snapshots, values } = await runPgFixture<{ sameClient: boolean; queryError: SeenError; newBackend: boolean }>('pool.js', 'terminatedRace');
    const name = 'terminated-race';
    expect(values.sameClient).toBe(true); // the checkout got the idle connection whose backend was gone
    expect(values.newBackend).toBe(true);
    const seenType = values.queryError.code ?? 'connection_terminated';
    expect(['57P01', 'ECONNRESET']).toContain(seenType);
    const terminated = snapshots.terminated!;
    expect(terminated.sum(REUSE_FAILED, { ...pool(name), [ERROR_TYPE]: seenType })).toBe(1);
    expect(terminated.sum(REUSE_FAILED)).toBe(1);
    const reason = seenType === '57P01' ? { [CLOSE_REASON]: 'server_closed', [ERROR_TYPE]: undefined } : { [CLOSE_REASON]: 'error', [ERROR_TYPE]: seenType };
    expect(terminated.sum(CLOSED, { ...pool(name), ...reason })).toBe(1);
    expect(terminated.sum(CLOSED, pool(name))).toBe(1);
    expect(terminated.sum(CREATED, pool(name))).toBe(1);
    expect(terminated.sum(REUSED, pool(name))).toBe(1);
    expect(snapshots.after!.sum(CREATED, pool(name))).toBe(2);
  });

  test('pool close reasons: idleTimeoutMillis is idle_timeout (idle ≥ the timeout), release(true), maxUses and maxLifetimeSeconds are client_closed', async () => {
    const { snapshots } = await runPgFixture('pool.js', 'poolCloses');
    const after = snapshots.after!;
    expect(after.sum(CLOSED, { ...pool('idle-timeout'), [CLOSE_REASON]: 'idle_timeout' })).toBe(1);
    expect(after.sum(CLOSED, pool('idle-timeout'))).toBe(1);
    expect(after.count(IDLE_TIME, { ...pool('idle-timeout'), [CLOSE_REASON]: 'idle_timeout' })).toBe(1);
    expect(after.histogramSum(IDLE_TIME, pool('idle-timeout'))).toBeGreaterThanOrEqual(timerFloorSeconds(100));
    expect(after.sum(CLOSED, { ...pool('release-true'), [CLOSE_REASON]: 'client_closed' })).toBe(1);
    expect(after.sum(CLOSED, pool('release-true'))).toBe(1);
    expect(after.sum(CLOSED, { ...pool('max-uses'), [CLOSE_REASON]: 'client_closed' })).toBe(1);
    expect(after.sum(CLOSED, pool('max-uses'))).toBe(1);
    expect([after.count(USES, pool('max-uses')), after.histogramSum(USES, pool('max-uses'))]).toEqual([1, 3]);
    expect(after.sum(CLOSED, { ...pool('max-lifetime'), [CLOSE_REASON]: 'client_closed' })).toBe(1);
    expect(after.sum(CLOSED, pool('max-lifetime'))).toBe(1);
    expect(after.sum(REUSE_FAILED)).toBe(0);
  });

  test('connections reset (RST): error{ECONNRESET}; a reused checkout whose query broke is one reuse failure, an idle one none', async () => {
    const { snapshots, values } = await runPgFixture<{ queryError: SeenError; poolErrors: string[]; names: { busy: string; idle: string } }>('pool.js', 'reset');
    expect(values.queryError).toMatchObject({ code: 'ECONNRESET' });
    expect(values.poolErrors).toEqual(['ECONNRESET']);
    const reset = snapshots.reset!;
    const { busy, idle } = values.names;
    for (const name of [busy, idle]) {
      expect(reset.sum(CLOSED, { ...pool(name), [CLOSE_REASON]: 'error', [ERROR_TYPE]: 'ECONNRESET' })).toBe(1);
      expect(reset.sum(CLOSED, pool(name))).toBe(1);
    }
    expect(reset.sum(REUSE_FAILED, { ...pool(busy), [ERROR_TYPE]: 'ECONNRESET' })).toBe(1);
    expect(reset.sum(REUSE_FAILED)).toBe(1);
    expect([reset.count(USES, pool(busy)), reset.histogramSum(USES, pool(busy))]).toEqual([1, 2]);
  });
});
