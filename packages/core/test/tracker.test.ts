import { TestMetrics } from '@connmetrics/test-harness';
import { ConnectionTracker, createConnectionInstruments } from '../src';

describe('ConnectionTracker', () => {
  let metrics: TestMetrics;
  let tracker: ConnectionTracker;
  beforeEach(() => {
    metrics = new TestMetrics();
    const instruments = createConnectionInstruments(metrics.meterProvider.getMeter('test'));
    tracker = new ConnectionTracker(() => instruments);
  });

  test('the first use of a created connection is its own; later uses are reused', async () => {
    const connection = {};
    tracker.created(connection, { 'server.address': 'a' });
    tracker.created(connection, { 'server.address': 'a' }); // idempotent
    for (let i = 0; i < 5; i += 1) {
      tracker.used(connection);
      tracker.released(connection);
    }
    const snapshot = await metrics.collect();
    expect(snapshot.sum('connmetrics.connection.created')).toBe(1);
    expect(snapshot.sum('connmetrics.connection.reused', { 'server.address': 'a' })).toBe(4);
  });

  test('a connection opened before tracking began is adopted: all its uses are reused', async () => {
    const connection = {};
    expect(tracker.used(connection)).toBeUndefined(); // unknown: nothing recorded
    tracker.used(connection) ?? tracker.adopt(connection, { 'server.address': 'old' });
    tracker.used(connection) ?? tracker.adopt(connection, { 'server.address': 'never asked' });
    const snapshot = await metrics.collect();
    expect(snapshot.sum('connmetrics.connection.created')).toBe(0);
    expect(snapshot.sum('connmetrics.connection.reused', { 'server.address': 'old' })).toBe(2);
    expect(tracker.get(connection)?.inFlight).toBe(2);
  });

  test('in-flight uses, close and clear keep the open set exact', () => {
    const a = {};
    const b = {};
    tracker.created(a, {});
    tracker.created(b, {});
    tracker.used(a);
    tracker.released(a);
    tracker.released(a); // never below zero
    expect(tracker.get(a)?.inFlight).toBe(0);
    expect(tracker.open().size).toBe(2);
    expect(tracker.closed(a, { reason: 'client_closed' })?.uses).toBe(1);
    expect(tracker.closed(a, { reason: 'client_closed' })).toBeUndefined(); // once
    expect(tracker.open().size).toBe(1);
    tracker.clear();
    expect(tracker.open().size).toBe(0);
    expect(tracker.get(b)).toBeUndefined();
  });

  test('a close records its reason, the uses served and the idle time; error.type only for errors', async () => {
    const idle = {};
    const busy = {};
    const broken = {};
    tracker.created(idle, { 'server.address': 'a' });
    tracker.created(busy, { 'server.address': 'a' });
    tracker.created(broken, { 'server.address': 'a' });
    for (let i = 0; i < 3; i += 1) {
      tracker.used(idle);
      tracker.released(idle);
    }
    tracker.used(busy);
    tracker.used(broken);
    tracker.released(broken);
    tracker.used(broken);
    expect(tracker.reuseFailed(busy, 'ECONNRESET')).toBe(false); // its first use: no reuse failed
    expect(tracker.reuseFailed(broken, 'ECONNRESET')).toBe(true);
    tracker.closed(idle, { reason: 'server_closed', errorType: 'ignored' });
    tracker.closed(busy, { reason: 'client_closed' });
    tracker.closed(broken, { reason: 'error', errorType: 'ECONNRESET' });
    const snapshot = await metrics.collect();
    expect(snapshot.sum('connmetrics.connection.closed', { 'connmetrics.connection.close.reason': 'server_closed', 'error.type': undefined })).toBe(1);
    expect(snapshot.sum('connmetrics.connection.closed', { 'connmetrics.connection.close.reason': 'client_closed', 'error.type': undefined })).toBe(1);
    expect(snapshot.sum('connmetrics.connection.closed', { 'connmetrics.connection.close.reason': 'error', 'error.type': 'ECONNRESET' })).toBe(1);
    expect(snapshot.sum('connmetrics.connection.reuse_failed', { 'error.type': 'ECONNRESET' })).toBe(1);
    expect(snapshot.count('connmetrics.connection.uses')).toBe(3);
    expect(snapshot.histogramSum('connmetrics.connection.uses')).toBe(6);
    // Only the idle one (no use in flight) records an idle time, with its close reason.
    expect(snapshot.count('connmetrics.connection.idle_time')).toBe(1);
    expect(snapshot.count('connmetrics.connection.idle_time', { 'connmetrics.connection.close.reason': 'server_closed' })).toBe(1);
  });
});
