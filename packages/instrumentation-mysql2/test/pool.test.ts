import { timerFloorSeconds, type MetricsSnapshot } from '@connmetrics/test-harness';
import {
  CLOSED,
  CONNECT,
  COUNT,
  CREATED,
  CREATE_TIME,
  FAILED,
  IDLE_MAX,
  IDLE_MIN,
  IDLE_TIME,
  MAX,
  PENDING,
  REUSED,
  REUSE_FAILED,
  TIMEOUTS,
  USES,
  USE_TIME,
  WAIT_TIME,
  ERROR_TYPE,
  idle,
  pool,
  reason,
  requireMysql,
  runMySQL2Fixture,
  used,
} from './support/fixtures';

beforeAll(requireMysql);

/** The pool's own counters, observed by the fixture in the same collection. */
const poolTotal = (snapshot: MetricsSnapshot) => snapshot.sum('fixture.pool.total');

describe('mysql2 pools', () => {
  test('connectionLimit 3, 30 queries at once: created 3 (= distinct CONNECTION_ID()s, listed by the server), reused 27; used + idle = the pool’s own counts at every collection', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ collections: number; errors: number; ids: number; listed: number }>('pool.js', 'parallel');
    const name = 'parallel';
    const during = Object.keys(snapshots)
      .filter((key) => key.startsWith('during-'))
      .map((key) => snapshots[key]!);
    expect(values.errors).toBe(0);
    expect(during.length).toBe(values.collections);
    expect(during.length).toBeGreaterThan(1);

    // Issued synchronously: 3 connections being opened, 27 requests waiting.
    const first = during[0]!;
    expect(first.sum(COUNT, used(name))).toBe(3);
    expect(first.sum(COUNT, idle(name))).toBe(0);
    expect(first.sum(PENDING, pool(name))).toBe(27);
    for (const snapshot of [...during, snapshots.after!]) {
      expect(snapshot.sum(COUNT, used(name)) + snapshot.sum(COUNT, idle(name))).toBe(poolTotal(snapshot));
      expect(snapshot.sum(COUNT, idle(name))).toBe(snapshot.sum('fixture.pool.idle'));
      expect(snapshot.sum(PENDING, pool(name))).toBe(snapshot.sum('fixture.pool.waiting'));
    }

    const after = snapshots.after!;
    expect(values.ids).toBe(3); // distinct CONNECTION_ID()s the queries ran on
    expect(values.listed).toBe(3); // the server's PROCESSLIST has exactly those 3
    expect(after.sum(CREATED, pool(name))).toBe(3);
    expect(after.sum(REUSED, pool(name))).toBe(27);
    expect(after.sum(FAILED)).toBe(0);
    expect(after.sum(COUNT, used(name))).toBe(0);
    expect(after.sum(COUNT, idle(name))).toBe(3);
    expect(after.sum(MAX, pool(name))).toBe(3);
    expect(after.sum(IDLE_MAX, pool(name))).toBe(3);
    expect(after.sum(IDLE_MIN, pool(name))).toBe(0);
    expect(after.count(CREATE_TIME, pool(name))).toBe(3);
    expect(after.count(WAIT_TIME, pool(name))).toBe(30);
    expect(after.count(USE_TIME, pool(name))).toBe(30);
    expect(after.count(CONNECT, pool(name))).toBe(3);
    expect(after.sum(TIMEOUTS)).toBe(0);
    expect(after.attributeSets(CREATED)).toEqual([
      {
        'network.protocol.name': 'mysql',
        'db.system.name': 'mariadb',
        'server.address': '127.0.0.1',
        'server.port': 3306,
        'db.client.connection.pool.name': 'parallel',
      },
    ]);

    // pool.end(): every connection closed by the client, after 10 uses each on average (30 in all).
    const ended = snapshots.ended!;
    expect(ended.sum(CLOSED, reason('client_closed', pool(name)))).toBe(3);
    expect(ended.sum(CLOSED)).toBe(3);
    expect(ended.count(USES, pool(name))).toBe(3);
    expect(ended.histogramSum(USES, pool(name))).toBe(30);
    expect(ended.count(IDLE_TIME, reason('client_closed', pool(name)))).toBe(3);
    expect(ended.sum(COUNT, used(name)) + ended.sum(COUNT, idle(name))).toBe(0);
  });

  test('mysql2/promise: getConnection/release, pool.execute and pool.query are checkouts; a held connection is used', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ ids: number }>('pool.js', 'promise');
    const name = 'promise';
    expect(values.ids).toBe(1); // sequential: one connection serves everything
    const holding = snapshots.holding!;
    expect(holding.sum(CREATED, pool(name))).toBe(1);
    expect(holding.sum(REUSED, pool(name))).toBe(10);
    expect(holding.sum(COUNT, used(name))).toBe(1);
    expect(holding.sum(COUNT, idle(name))).toBe(0);
    expect(holding.count(WAIT_TIME, pool(name))).toBe(11);
    expect(holding.count(USE_TIME, pool(name))).toBe(10);
    const released = snapshots.released!;
    expect(released.sum(COUNT, used(name))).toBe(0);
    expect(released.sum(COUNT, idle(name))).toBe(1);
    expect(released.count(USE_TIME, pool(name))).toBe(11);
    expect(released.sum(MAX, pool(name))).toBe(2);
    const ended = snapshots.ended!;
    expect(ended.sum(CLOSED, reason('client_closed', pool(name)))).toBe(1);
    expect(ended.histogramSum(USES, pool(name))).toBe(11);
  });

  test('PoolCluster: each node’s pool is named by its node id', async () => {
    const { snapshots } = await runMySQL2Fixture('pool.js', 'cluster');
    const after = snapshots.after!;
    expect(after.sum(CREATED, pool('primary'))).toBe(1);
    expect(after.sum(REUSED, pool('primary'))).toBe(2);
    expect(after.sum(CREATED, pool('replica-1'))).toBe(1);
    expect(after.sum(REUSED, pool('replica-1'))).toBe(0);
    expect(after.sum(COUNT, idle('primary'))).toBe(1);
    expect(after.sum(COUNT, idle('replica-1'))).toBe(1);
    expect(after.sum(MAX, pool('primary'))).toBe(2);
    expect(after.sum(CREATED)).toBe(2);
  });

  test('KILL of an idle pooled connection: closed by the server, the next checkout creates a connection', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ first: number; again: number; next: number }>('pool.js', 'killed');
    const name = 'killed';
    expect(values.again).toBe(values.first);
    expect(values.next).not.toBe(values.first);
    const killed = snapshots.killed!;
    expect(killed.sum(CLOSED, reason('server_closed', pool(name)))).toBe(1);
    expect(killed.sum(CLOSED)).toBe(1);
    expect(killed.count(IDLE_TIME, reason('server_closed', pool(name)))).toBe(1);
    expect(killed.histogramSum(USES, pool(name))).toBe(2);
    expect(killed.sum(REUSE_FAILED)).toBe(0);
    expect(killed.sum(COUNT, pool(name))).toBe(0);
    const after = snapshots.after!;
    expect(after.sum(CREATED, pool(name))).toBe(2);
    expect(after.sum(REUSED, pool(name))).toBe(1);
    expect(after.count(CREATE_TIME, pool(name))).toBe(2);
  });

  test('KILL of a connection running its second checkout’s query: closed by the server, one reuse failure with the error the application saw', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ error: { code: string } | null }>('pool.js', 'killedInUse');
    const name = 'killed-in-use';
    expect(values.error).toEqual({ code: 'PROTOCOL_CONNECTION_LOST' });
    const after = snapshots.after!;
    expect(after.sum(CLOSED, reason('server_closed', pool(name)))).toBe(1);
    expect(after.sum(CLOSED)).toBe(1);
    expect(after.sum(REUSE_FAILED, { ...pool(name), [ERROR_TYPE]: 'PROTOCOL_CONNECTION_LOST' })).toBe(1);
    expect(after.sum(REUSE_FAILED)).toBe(1);
    expect(after.count(IDLE_TIME)).toBe(0); // a use was in flight
  });

  test('a waiting checkout that mysql2 re-dispatches (its connection destroyed) is one checkout and one new connection', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ first: number; second: number }>('pool.js', 'redispatched');
    const name = 'redispatched';
    expect(values.second).not.toBe(values.first);
    const after = snapshots.after!;
    expect(after.sum(CREATED, pool(name))).toBe(2);
    expect(after.sum(REUSED, pool(name))).toBe(0);
    expect(after.count(WAIT_TIME, pool(name))).toBe(2);
    expect(after.count(USE_TIME, pool(name))).toBe(1); // the destroyed connection was never released
    expect(after.sum(CLOSED, reason('client_closed', pool(name)))).toBe(1);
    expect(after.sum(COUNT, idle(name))).toBe(1);
  });

  test('idleTimeout/maxIdle: the pool’s idle timer closes the connection (idle_timeout, with its idle time)', async () => {
    const { snapshots } = await runMySQL2Fixture('pool.js', 'idleTimeout');
    const name = 'idle';
    expect(snapshots.idle!.sum(COUNT, idle(name))).toBe(1);
    expect(snapshots.idle!.sum(IDLE_MAX, pool(name))).toBe(0);
    const closed = snapshots.closed!;
    expect(closed.sum(CLOSED, reason('idle_timeout', pool(name)))).toBe(1);
    expect(closed.count(IDLE_TIME, reason('idle_timeout', pool(name)))).toBe(1);
    expect(closed.histogramSum(IDLE_TIME, reason('idle_timeout', pool(name)))).toBeGreaterThanOrEqual(timerFloorSeconds(100));
    expect(closed.sum(COUNT, pool(name))).toBe(0);
  });
});
