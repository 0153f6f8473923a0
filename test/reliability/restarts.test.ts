/*
 * Servers that drop every connection mid-run. Afterwards every gauge is
 * exact again: nothing negative, nothing stuck as active or used, and the
 * counters say exactly how many connections the recovery opened.
 */
import { join } from 'node:path';
import { postgresAddress, requireReachable, startProcess } from '@connmetrics/test-harness';
import { FIXTURES, runScenario, Collection, type Protocol, type RawCollection } from './support/fixtures';
import { CLOSED, CREATED, DB_COUNT, DB_PENDING, DB_STATE, ERROR_TYPE, FAILED, GAUGES, LIFETIME, POOL_NAME, REUSED } from './support/names';
import { startOwnPostgresServer, type OwnPostgresServer } from './support/postgres-server';
import { startOwnRedisServer, type OwnRedisServer } from './support/redis-server';

/** The pool gauges of one pool, per collection. */
function poolGauges(collections: Collection[], poolName: string) {
  const pool = { [POOL_NAME]: poolName };
  return collections.map((collection) => ({
    used: collection.of('pg').sum(DB_COUNT, { ...pool, [DB_STATE]: 'used' }),
    idle: collection.of('pg').sum(DB_COUNT, { ...pool, [DB_STATE]: 'idle' }),
    pending: collection.of('pg').sum(DB_PENDING, pool),
  }));
}

/** `{ busy, idle }` of a protocol's open-connections gauge, and whether any point of any gauge is negative. */
function gauge(collection: Collection, protocol: Protocol, filter: Record<string, unknown> = {}) {
  const { name, state, busy } = GAUGES[protocol];
  const snapshot = collection.of(protocol);
  if (!snapshot.metric(name)) return { busy: 0, idle: 0 };
  return { busy: snapshot.sum(name, { ...filter, [state]: busy }), idle: snapshot.sum(name, { ...filter, [state]: 'idle' }) };
}

function negativePoints(collection: Collection): string[] {
  const negative: string[] = [];
  for (const protocol of ['undici', 'http', 'pg', 'ioredis', 'redis', 'grpc'] as const) {
    const snapshot = collection.of(protocol);
    for (const metric of snapshot.metrics) {
      for (const point of metric.dataPoints) {
        if (typeof point.value === 'number' && point.value < 0) negative.push(`${protocol} ${metric.descriptor.name} ${JSON.stringify(point.attributes)}`);
      }
    }
  }
  return negative;
}

test('an HTTP server destroying its sockets in flight and when idle: undici and node:http gauges return to exactly 0, then 3 idle, then 0', async () => {
  const { values, collections } = await runScenario<{ failed: Array<{ error?: unknown }>; ok: Array<{ ok?: string }>; accepted: number }>(
    'restarts.cjs',
    'httpServerDestroys',
  );
  // The application saw 6 failures, then 12 successes; the server accepted 3 + 3 per client.
  expect(values.failed.every((result) => result.error !== undefined)).toBe(true);
  expect(values.failed).toHaveLength(6);
  expect(values.ok.map((result) => result.ok)).toEqual(Array.from({ length: 12 }, () => expect.stringContaining('ok')));
  expect(values.accepted).toBe(12);
  const [afterDestroyed, idle, afterIdleDestroyed] = collections as [Collection, Collection, Collection];
  for (const protocol of ['undici', 'http'] as const) {
    expect({ protocol, gauges: [afterDestroyed, idle, afterIdleDestroyed].map((c) => gauge(c, protocol)) }).toEqual({
      protocol,
      gauges: [
        { busy: 0, idle: 0 },
        { busy: 0, idle: 3 },
        { busy: 0, idle: 0 },
      ],
    });
    const last = afterIdleDestroyed.of(protocol);
    // 3 connections destroyed in flight, 3 opened again: each wave of 3 after that reused them.
    expect({ protocol, created: last.sum(CREATED), reused: last.sum(REUSED), failed: last.metric(FAILED) ? last.sum(FAILED) : 0, lifetimes: last.count(LIFETIME) }).toEqual({
      protocol,
      created: 6,
      reused: 3,
      failed: 0,
      lifetimes: 6,
    });
  }
  for (const collection of collections) expect(negativePoints(collection)).toEqual([]);
});

describe('PostgreSQL terminates every backend of the application', () => {
  beforeAll(async () => {
    const { host, port } = postgresAddress();
    await requireReachable('PostgreSQL', host, port);
  });

  test('in-flight queries fail with 57P01 as without instrumentation; the pool gauges go from 2 used + 1 idle to 0, then 3 idle after recovery, then 0', async () => {
    const { values, collections } = await runScenario<{ terminated: number; failed: unknown[]; recovered: unknown[]; poolErrors: string[] }>(
      'restarts.cjs',
      'pgTerminate',
    );
    expect(values.terminated).toBe(3);
    expect(values.failed).toEqual([
      { error: { name: 'DatabaseError', code: '57P01' } },
      { error: { name: 'DatabaseError', code: '57P01' } },
    ]);
    expect(values.recovered).toEqual([0, 1, 2, 3, 4, 5].map((n) => ({ ok: n })));
    expect(values.poolErrors).toEqual(['57P01']); // the idle connection's error, reported by pg-pool
    const { host, port, database } = postgresAddress();
    const pool = { [POOL_NAME]: `${host}:${port}/${database}` };
    expect(poolGauges(collections, pool[POOL_NAME])).toEqual([
      { used: 2, idle: 1, pending: 0 },
      { used: 0, idle: 0, pending: 0 },
      { used: 0, idle: 3, pending: 0 },
      { used: 0, idle: 0, pending: 0 },
    ]);
    const last = collections[collections.length - 1]!.of('pg');
    expect({
      created: last.sum(CREATED, pool),
      reused: last.sum(REUSED, pool),
      // 57P01 is the server ending the sessions in order: server_closed, no error.type.
      closedTerminated: last.sum(CLOSED, { ...pool, 'connmetrics.connection.close.reason': 'server_closed', [ERROR_TYPE]: undefined }),
      closed: last.sum(CLOSED, pool),
    }).toEqual({ created: 6, reused: 3, closedTerminated: 3, closed: 6 });
    for (const collection of collections) expect(negativePoints(collection)).toEqual([]);
  });
});

describe('PostgreSQL restarted (a cluster of the suite\'s own)', () => {
  let postgres: OwnPostgresServer;
  beforeAll(async () => {
    postgres = await startOwnPostgresServer();
  }, 60_000);
  afterAll(async () => {
    await postgres?.close();
  });

  test('pg_ctl restart -m fast under load: queries fail with 57P01, the pool gauges go to 0, then 3 idle after recovery, then 0', async () => {
    const database = { host: postgres.host, port: postgres.port, user: postgres.user, database: postgres.database };
    const app = startProcess(join(FIXTURES, 'restarts.cjs'), { args: ['pgRestart', JSON.stringify({ database })], cwd: FIXTURES });
    try {
      await app.waitForLine(/^RESTART-SERVER/, 30_000);
      await postgres.restart();
      app.kill('SIGUSR2');
      const line = await app.waitForLine(/^RESULT /, 30_000);
      const result = JSON.parse(line.slice('RESULT '.length)) as { failed: unknown[]; recovered: unknown[]; poolErrors: string[]; collections: RawCollection[] };
      expect(result.failed).toEqual([
        { error: { name: 'DatabaseError', code: '57P01' } },
        { error: { name: 'DatabaseError', code: '57P01' } },
      ]);
      expect(result.recovered).toEqual([0, 1, 2, 3, 4, 5].map((n) => ({ ok: n })));
      expect(result.poolErrors).toEqual(['57P01']);
      const collections = result.collections.map((raw) => new Collection(raw));
      const poolName = `${postgres.host}:${postgres.port}/${postgres.database}`;
      expect(poolGauges(collections, poolName)).toEqual([
        { used: 2, idle: 1, pending: 0 },
        { used: 0, idle: 0, pending: 0 },
        { used: 0, idle: 3, pending: 0 },
        { used: 0, idle: 0, pending: 0 },
      ]);
      const last = collections[collections.length - 1]!.of('pg');
      const pool = { [POOL_NAME]: poolName };
      expect({
        created: last.sum(CREATED, pool),
        reused: last.sum(REUSED, pool),
        failed: last.metric(FAILED) ? last.sum(FAILED) : 0,
        closedByRestart: last.sum(CLOSED, { ...pool, 'connmetrics.connection.close.reason': 'server_closed', [ERROR_TYPE]: undefined }),
        closed: last.sum(CLOSED, pool),
      }).toEqual({ created: 6, reused: 3, failed: 0, closedByRestart: 3, closed: 6 });
      for (const collection of collections) expect(negativePoints(collection)).toEqual([]);
      await app.exited(10_000);
    } finally {
      await app.stop();
    }
  });
});

describe('Redis: CLIENT KILL and a full restart of the server', () => {
  let redis: OwnRedisServer;
  beforeAll(async () => {
    redis = await startOwnRedisServer();
  });
  afterAll(async () => {
    await redis.close();
  });

  test('each reconnect is one created connection; refused attempts while down are failed; the gauge is 1 idle throughout and 0 at the end', async () => {
    const app = startProcess(join(FIXTURES, 'restarts.cjs'), { args: ['redisKillAndRestart', JSON.stringify({ port: redis.port })], cwd: FIXTURES });
    try {
      await app.waitForLine(/^STOP-SERVER/, 30_000);
      await redis.stop();
      await app.waitForLine(/^REFUSED$/, 30_000); // at least one refused reconnect attempt
      await redis.start();
      app.kill('SIGUSR2');
      const line = await app.waitForLine(/^RESULT /, 30_000);
      const result = JSON.parse(line.slice('RESULT '.length)) as {
        first: unknown[];
        afterKill: unknown[];
        afterRestart: unknown[];
        killed: number;
        refused: string[];
        collections: RawCollection[];
      };
      expect(result.killed).toBe(1);
      // The server keeps no data: the counter starts again after the restart.
      expect([...result.first, ...result.afterKill, ...result.afterRestart]).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 3].map((n) => ({ ok: n })));
      const collections = result.collections.map((raw) => new Collection(raw));
      expect(collections.map((collection) => gauge(collection, 'ioredis'))).toEqual([
        { busy: 0, idle: 1 },
        { busy: 0, idle: 1 },
        { busy: 0, idle: 1 },
        { busy: 0, idle: 0 },
      ]);
      const last = collections[collections.length - 1]!.of('ioredis');
      const refusedSeen = result.refused.filter((code) => code === 'ECONNREFUSED').length;
      expect(refusedSeen).toBeGreaterThan(0);
      expect({
        created: last.sum(CREATED),
        reused: last.sum(REUSED),
        failed: last.sum(FAILED, { [ERROR_TYPE]: 'ECONNREFUSED' }),
        failedOther: last.sum(FAILED) - last.sum(FAILED, { [ERROR_TYPE]: 'ECONNREFUSED' }),
      }).toEqual({ created: 3, reused: 6, failed: refusedSeen, failedOther: 0 });
      for (const collection of collections) expect(negativePoints(collection)).toEqual([]);
      await app.exited(10_000);
    } finally {
      await app.stop();
    }
  });
});
