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
    expect(tracker.closed(a)?.uses).toBe(1);
    expect(tracker.closed(a)).toBeUndefined(); // once
    expect(tracker.open().size).toBe(1);
    tracker.clear();
    expect(tracker.open().size).toBe(0);
    expect(tracker.get(b)).toBeUndefined();
  });
});
