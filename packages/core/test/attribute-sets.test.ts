/*
 * Shared attribute sets: one frozen object per set, derived sets built once
 * per (set, name, value), and counts that stay exact whether a set is shared
 * or not, within the bounds and past them.
 */
import { TestMetrics } from '@connmetrics/test-harness';
import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics';
import { ConnectionTracker, createConnectionInstruments, isSharedAttributes, sharedAttributes, withAttribute } from '../src';
import { seriesIn } from '../src/attribute-sets';
import { SeriesCounter } from '../src/series-counter';

describe('sharedAttributes', () => {
  test('equal sets built in any order are one frozen object', () => {
    const first = sharedAttributes({ 'server.address': 'shared-a', 'server.port': 443 });
    const second = sharedAttributes({ 'server.port': 443, 'server.address': 'shared-a' });
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(isSharedAttributes(first)).toBe(true);
    expect(sharedAttributes(first)).toBe(first);
    // Port 443 and '443' are two sets, as the SDK keeps them.
    expect(sharedAttributes({ 'server.address': 'shared-a', 'server.port': '443' })).not.toBe(first);
  });

  test('past its bound the table starts over: sets in use stay valid and count into the same series', () => {
    const metrics = new TestMetrics();
    const counter = new SeriesCounter(metrics.meterProvider.getMeter('test'), 'c', {});
    const early = sharedAttributes({ 'server.address': 'bound-0' });
    for (let index = 1; index < 5000; index += 1) sharedAttributes({ 'server.address': `bound-${index}` });
    const later = sharedAttributes({ 'server.address': 'bound-0' });
    expect(isSharedAttributes(early)).toBe(true);
    seriesIn(counter, early).value += 1;
    seriesIn(counter, later).value += 1;
    expect(seriesIn(counter, later)).toBe(seriesIn(counter, early));
    expect(seriesIn(counter, early).value).toBe(2);
  });
});

describe('withAttribute', () => {
  test('on a shared set: one shared set per name and value, 443 and "443" apart', () => {
    const base = sharedAttributes({ 'server.address': 'derived' });
    const closed = withAttribute(base, 'connmetrics.connection.close.reason', 'client_closed');
    expect(closed).toEqual({ 'server.address': 'derived', 'connmetrics.connection.close.reason': 'client_closed' });
    expect(withAttribute(base, 'connmetrics.connection.close.reason', 'client_closed')).toBe(closed);
    expect(isSharedAttributes(closed)).toBe(true);
    expect(withAttribute(base, 'server.port', 443)).not.toBe(withAttribute(base, 'server.port', '443'));
    expect(withAttribute(closed, 'error.type', 'ECONNRESET')).toBe(withAttribute(closed, 'error.type', 'ECONNRESET'));
    expect(base).toEqual({ 'server.address': 'derived' });
  });

  test('on a plain set, or past 256 derived sets: a new plain object per call', () => {
    const plain = { 'server.address': 'plain' };
    const derived = withAttribute(plain, 'error.type', 'ECONNRESET');
    expect(derived).toEqual({ 'server.address': 'plain', 'error.type': 'ECONNRESET' });
    expect(withAttribute(plain, 'error.type', 'ECONNRESET')).not.toBe(derived);
    expect(isSharedAttributes(derived)).toBe(false);
    const base = sharedAttributes({ 'server.address': 'many' });
    for (let code = 0; code < 256; code += 1) withAttribute(base, 'error.type', `E${code}`);
    const past = withAttribute(base, 'error.type', 'E_PAST');
    expect(past).toEqual({ 'server.address': 'many', 'error.type': 'E_PAST' });
    expect(isSharedAttributes(past)).toBe(false);
    expect(withAttribute(base, 'error.type', 'E0')).toBe(withAttribute(base, 'error.type', 'E0'));
  });
});

describe('connections created and closed', () => {
  test('are cumulative monotonic sums, exact with shared and plain sets alike', async () => {
    const metrics = new TestMetrics();
    const instruments = createConnectionInstruments(metrics.meterProvider.getMeter('test'));
    const tracker = new ConnectionTracker(() => instruments);
    const shared = sharedAttributes({ 'server.address': 'sums', 'server.port': 80 });
    for (let index = 0; index < 6; index += 1) {
      const connection = {};
      // Half of them with a plain set equal to the shared one: one series all the same.
      tracker.created(connection, index % 2 === 0 ? shared : { 'server.port': 80, 'server.address': 'sums' });
      tracker.used(connection);
      tracker.closed(connection, index < 4 ? { reason: 'server_closed' } : { reason: 'error', errorType: 'ECONNRESET' });
    }
    const snapshot = await metrics.collect();
    for (const name of ['connmetrics.connection.created', 'connmetrics.connection.closed']) {
      const metric = snapshot.metric(name)!;
      expect({ type: metric.dataPointType, monotonic: metric.dataPointType === DataPointType.SUM && metric.isMonotonic }).toEqual({
        type: DataPointType.SUM,
        monotonic: true,
      });
      expect(metric.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    }
    expect(snapshot.points('connmetrics.connection.created').map((point) => [point.attributes, point.value])).toEqual([
      [{ 'server.address': 'sums', 'server.port': 80 }, 6],
    ]);
    expect(snapshot.sum('connmetrics.connection.closed', { 'connmetrics.connection.close.reason': 'server_closed' })).toBe(4);
    expect(snapshot.sum('connmetrics.connection.closed', { 'connmetrics.connection.close.reason': 'error', 'error.type': 'ECONNRESET' })).toBe(2);
    expect(snapshot.points('connmetrics.connection.closed')).toHaveLength(2);
    await metrics.shutdown();
  });
});
