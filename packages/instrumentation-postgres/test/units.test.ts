/*
 * The pure parts: which socket a claim takes (socket-claims.ts, from the
 * built package), and core's DbPoolGauges through a real MeterProvider.
 */
import { DbPoolGauges, createDbConnectionInstruments, dbPoolAttributes } from '@connmetrics/core';
import { TestMetrics, DB_COUNT, DB_MAX } from '@connmetrics/test-harness';
import { SocketClaims } from '../build/socket-claims';
import { idle, pool, used } from './support/fixtures';

describe('SocketClaims', () => {
  const postgresSocket = () => Object.assign(Object.create(null) as object, { ssl: false });

  test('a claim takes the next socket announced in the same synchronous run', () => {
    const claims = new SocketClaims();
    const taken: object[] = [];
    claims.expect({ opened: (socket) => taken.push(socket) });
    const socket = postgresSocket();
    expect(claims.announced(socket)).toBe(false);
    expect(taken).toEqual([socket]);
    // Taken once: the next postgres.js socket nobody expected is reported.
    expect(claims.announced(postgresSocket())).toBe(true);
  });

  test('a claim lapses at the next microtask (postgres.js reads `socket` once more before it connects)', async () => {
    const claims = new SocketClaims();
    const taken: object[] = [];
    claims.expect({ opened: (socket) => taken.push(socket) });
    await Promise.resolve();
    expect(claims.announced(postgresSocket())).toBe(true);
    expect(taken).toEqual([]);
  });

  test('sockets of other libraries are neither taken nor reported when nothing is expected', () => {
    const claims = new SocketClaims();
    expect(claims.announced({})).toBe(false);
  });
});

describe('DbPoolGauges', () => {
  let metrics: TestMetrics;
  afterEach(async () => {
    await metrics.shutdown();
  });

  test('pools that share a name are added up; a name whose pools are gone falls to 0', async () => {
    metrics = new TestMetrics();
    const meter = metrics.meterProvider.getMeter('units');
    const instruments = createDbConnectionInstruments(meter);
    const gauges = new DbPoolGauges();
    const a = dbPoolAttributes('a');
    let pools = [
      { attributes: a, counts: { idle: 1, used: 2, max: 3, idleMax: 3, idleMin: 0 } },
      { attributes: dbPoolAttributes('a'), counts: { idle: 2, used: 0, max: 5, idleMax: 5, idleMin: 0 } },
    ];
    meter.addBatchObservableCallback((result) => gauges.observe(result, instruments, pools), [instruments.count, instruments.max, instruments.idleMax, instruments.idleMin, instruments.pendingRequests]);
    const first = await metrics.collect();
    expect([first.sum(DB_COUNT, idle('a')), first.sum(DB_COUNT, used('a')), first.sum(DB_MAX, pool('a'))]).toEqual([3, 2, 8]);
    // No pending count given: not reported.
    expect(first.points('db.client.connection.pending_requests')).toEqual([]);
    pools = [];
    const second = await metrics.collect();
    expect(second.points(DB_COUNT).map((point) => point.value)).toEqual([0, 0]);
    expect(second.sum(DB_MAX, pool('a'))).toBe(0);
    // Observed no more; the SDK keeps exporting the last value of a cumulative series: 0.
    const third = await metrics.collect();
    expect(third.points(DB_COUNT).map((point) => point.value)).toEqual([0, 0]);
  });
});
