/*
 * Core exactness: canonical attribute keys, capped series, claims once per
 * MeterProvider, guarded instrument creation and the Node.js support table.
 */
import { TestMetrics, captureDiag, throwingMeterProvider } from '@connmetrics/test-harness';
import type { Meter, MeterProvider } from '@opentelemetry/api';
import {
  ConnectionInstrumentationBase,
  ConnectionTracker,
  HttpClientInstrumentationBase,
  attributesKey,
  createConnectionInstruments,
  type ChannelHandlers,
  type ConnectionState,
} from '../src';
import { ConnectionClaims } from '../src/claims';
import { missingNodeSupport } from '../src/node-support';
import { DEFAULT_CARDINALITY_LIMIT, OVERFLOW_ATTRIBUTES, SeriesCounter } from '../src/series-counter';

describe('attributesKey', () => {
  test('the same set in two insertion orders is one key; 443 and "443" are two', () => {
    expect(attributesKey({ a: 1, b: 'x', c: true })).toBe(attributesKey({ c: true, b: 'x', a: 1 }));
    expect(attributesKey({ 'server.port': 443 })).not.toBe(attributesKey({ 'server.port': '443' }));
    expect(attributesKey({ a: 'true' })).not.toBe(attributesKey({ a: true }));
    expect(attributesKey({ a: 'x', b: undefined })).toBe(attributesKey({ a: 'x' }));
    expect(attributesKey({ a: ['1', '2'] })).not.toBe(attributesKey({ a: [1, 2] }));
  });

  test('one series with the total when the same set is built in two orders', async () => {
    const metrics = new TestMetrics();
    const tracker = new ConnectionTracker(() => instruments);
    const instruments = createConnectionInstruments(metrics.meterProvider.getMeter('test'));
    const created = {};
    const adopted = {};
    tracker.created(created, { 'network.protocol.name': 'http', 'server.address': 'h', 'server.port': 443, team: 'a' });
    tracker.adopt(adopted, { team: 'a', 'server.port': 443, 'server.address': 'h', 'network.protocol.name': 'http' });
    for (let use = 0; use < 3; use += 1) {
      tracker.used(created);
      tracker.used(adopted);
    }
    const snapshot = await metrics.collect();
    // created: its first use is its own, 2 reused; adopted: its adopting use and 3 more.
    expect(snapshot.points('connmetrics.connection.reused')).toHaveLength(1);
    expect(snapshot.sum('connmetrics.connection.reused')).toBe(6);
    await metrics.shutdown();
  });
});

describe('SeriesCounter', () => {
  test(`5,000 distinct hosts churned: ${DEFAULT_CARDINALITY_LIMIT} series at most, the rest in otel.metric.overflow, the sum exact`, async () => {
    const metrics = new TestMetrics();
    const instruments = createConnectionInstruments(metrics.meterProvider.getMeter('test'));
    const tracker = new ConnectionTracker(() => instruments);
    for (let host = 0; host < 5000; host += 1) {
      const connection = {};
      tracker.created(connection, { 'server.address': `host-${host}.example` });
      tracker.used(connection);
      tracker.used(connection); // one reuse each
      tracker.closed(connection, { reason: 'client_closed' });
    }
    expect(instruments.reused.size).toBe(DEFAULT_CARDINALITY_LIMIT);
    const snapshot = await metrics.collect();
    expect(snapshot.sum('connmetrics.connection.reused')).toBe(5000);
    expect(snapshot.points('connmetrics.connection.reused')).toHaveLength(DEFAULT_CARDINALITY_LIMIT);
    expect(snapshot.sum('connmetrics.connection.reused', OVERFLOW_ATTRIBUTES)).toBe(5000 - (DEFAULT_CARDINALITY_LIMIT - 1));
    await metrics.shutdown();
  });

  test('a custom limit', () => {
    const metrics = new TestMetrics();
    const counter = new SeriesCounter(metrics.meterProvider.getMeter('test'), 'c', {}, 3);
    for (let index = 0; index < 10; index += 1) counter.add(1, { index });
    expect(counter.size).toBe(3);
  });
});

describe('ConnectionClaims', () => {
  test('the first active claimant on a provider owns a subject; others on it do not; other providers count on their own', () => {
    const providerA = {};
    const providerB = {};
    const first = claimant('x', providerA);
    const second = claimant('x', providerA);
    const elsewhere = claimant('x', providerB);
    const otherName = claimant('y', providerA);
    const subject = {};
    expect(first.claim(subject)).toBe(true);
    expect(second.claim(subject)).toBe(false);
    expect(first.claim(subject)).toBe(true);
    expect(elsewhere.claim(subject)).toBe(true);
    expect(otherName.claim(subject)).toBe(true);
    // A disabled owner's claims lapse.
    first.active = false;
    expect(second.claim(subject)).toBe(true);
    first.active = true;
    expect(first.claim(subject)).toBe(false);
  });

  test('two trackers on one provider count a connection once', async () => {
    const metrics = new TestMetrics();
    const meter = metrics.meterProvider.getMeter('test');
    const trackers = [0, 1].map(() => {
      const instruments = { ...createConnectionInstruments(meter), claims: claimant('x', metrics.meterProvider) };
      return new ConnectionTracker(() => instruments);
    });
    const connection = {};
    for (const tracker of trackers) tracker.created(connection, { a: 1 });
    for (let use = 0; use < 4; use += 1) for (const tracker of trackers) tracker.used(connection) ?? tracker.adopt(connection, { a: 1 });
    expect(trackers[1]!.adopt(connection, { a: 1 }).counted).toBe(false);
    expect([...trackers[1]!.open()]).toEqual([]);
    for (const tracker of trackers) tracker.closed(connection, { reason: 'client_closed' });
    const snapshot = await metrics.collect();
    expect(snapshot.sum('connmetrics.connection.created')).toBe(1);
    expect(snapshot.sum('connmetrics.connection.reused')).toBe(3);
    expect(snapshot.sum('connmetrics.connection.closed')).toBe(1);
    await metrics.shutdown();
  });
});

test('two instances that each count some connections of one server add to one reused series', async () => {
  const metrics = new TestMetrics();
  const meter = metrics.meterProvider.getMeter('test');
  const [first, second] = [0, 1].map(() => {
    const instruments = { ...createConnectionInstruments(meter), claims: claimant('x', metrics.meterProvider) };
    return new ConnectionTracker(() => instruments);
  }) as [ConnectionTracker, ConnectionTracker];
  const attributes = { 'server.address': 'h', 'server.port': 443 };
  const ofFirst = {};
  const ofSecond = {};
  first.created(ofFirst, attributes);
  second.created(ofSecond, attributes);
  for (let use = 0; use < 4; use += 1) {
    first.used(ofFirst);
    second.used(ofSecond);
  }
  const snapshot = await metrics.collect();
  expect(snapshot.sum('connmetrics.connection.created')).toBe(2);
  expect(snapshot.points('connmetrics.connection.reused')).toHaveLength(1);
  expect(snapshot.sum('connmetrics.connection.reused')).toBe(3 + 3);
  await metrics.shutdown();
});

class HttpProbe extends HttpClientInstrumentationBase {
  protected readonly protocolName = 'http';
  declare private _tracker: ConnectionTracker | undefined;
  constructor() {
    super('@connmetrics/http-probe', '0.0.0', {});
  }
  get tracker(): ConnectionTracker {
    return (this._tracker ??= new ConnectionTracker(() => this._connectionInstruments));
  }
  protected channelHandlers(): ChannelHandlers {
    return {};
  }
  protected openConnectionStates(): Iterable<ConnectionState> {
    return this.tracker.open();
  }
}

test('open connections of one server held by two instances: one series with both', async () => {
  const metrics = new TestMetrics();
  const probes = [new HttpProbe(), new HttpProbe()];
  for (const probe of probes) probe.setMeterProvider(metrics.meterProvider);
  const attributes = { 'network.protocol.name': 'http', 'server.address': 'h', 'server.port': 80 };
  probes[0]!.tracker.created({}, attributes);
  probes[1]!.tracker.created({}, attributes);
  probes[1]!.tracker.created({}, attributes);
  const snapshot = await metrics.collect();
  expect(snapshot.points('http.client.open_connections')).toHaveLength(1);
  expect(snapshot.sum('http.client.open_connections', { 'http.connection.state': 'idle' })).toBe(3);
  for (const probe of probes) probe.disable();
  await metrics.shutdown();
});

function claimant(name: string, provider: object): ConnectionClaims {
  const claims = new ConnectionClaims(name);
  claims.provider = provider;
  claims.active = true;
  return claims;
}

class ProbeInstrumentation extends ConnectionInstrumentationBase {
  protected readonly protocolName = 'probe';
  constructor(private readonly channels: string[] = []) {
    super('@connmetrics/probe', '0.0.0', {});
  }
  protected channelHandlers(): ChannelHandlers {
    return Object.fromEntries((this.channels ?? []).map((name) => [name, () => {}]));
  }
  createMore(): void {
    this.meter.createHistogram('more').record(1);
  }
}

describe('a MeterProvider that throws', () => {
  const everywhere: MeterProvider = {
    getMeter(): Meter {
      throw new Error('getMeter failed');
    },
  };
  const atCreation: MeterProvider = {
    getMeter: () =>
      new Proxy({} as Meter, {
        get: () => () => {
          throw new Error('create failed');
        },
      }),
  };

  test.each([
    ['getMeter()', everywhere],
    ['create*() and addBatchObservableCallback()', atCreation],
    ['every recording', throwingMeterProvider()],
  ])('at %s: setMeterProvider() does not throw, each failure is logged once', (_name, provider) => {
    const diag = captureDiag();
    try {
      const instrumentation = new ProbeInstrumentation();
      expect(() => instrumentation.setMeterProvider(provider)).not.toThrow();
      expect(() => instrumentation.setMeterProvider(provider)).not.toThrow();
      expect(() => instrumentation.createMore()).not.toThrow();
      instrumentation.disable();
      expect(diag.errors.length).toBeGreaterThan(0);
      expect(new Set(diag.errors).size).toBe(diag.errors.length);
    } finally {
      diag.restore();
    }
  });
});

describe('Node.js support', () => {
  const http2 = ['http2.client.stream.created', 'http2.client.stream.close'];
  test.each([
    ['22.14.0', 2],
    ['22.16.0', 1],
    ['22.17.0', 0],
    ['24.1.0', 1],
    ['24.2.0', 0],
    ['26.0.0', 0],
  ])('Node %s: %i problem(s) for the http2 client channels', (version, problems) => {
    expect(missingNodeSupport(http2, version)).toHaveLength(problems);
  });

  test('names the channels and the release that added them; library channels are not judged', () => {
    expect(missingNodeSupport([...http2, 'undici:client:connected', 'net.client.socket'], '22.16.0')).toEqual([
      'Node.js 22.16.0 does not publish http2.client.stream.created, http2.client.stream.close (added in 22.17.0)',
    ]);
  });

  test('enable() warns once per instrumentation when a channel is missing', () => {
    const diag = captureDiag();
    const descriptor = Object.getOwnPropertyDescriptor(process.versions, 'node')!;
    Object.defineProperty(process.versions, 'node', { ...descriptor, value: '22.16.0' });
    try {
      const first = new ProbeInstrumentation(http2);
      const second = new ProbeInstrumentation(http2);
      first.disable();
      first.enable();
      second.disable();
      const warnings = diag.all.filter((entry) => entry.level === 'warn').map((entry) => entry.message);
      expect(warnings).toEqual([expect.stringContaining('does not publish http2.client.stream.created, http2.client.stream.close (added in 22.17.0)')]);
      expect(warnings[0]).toContain('@connmetrics/probe');
    } finally {
      Object.defineProperty(process.versions, 'node', descriptor);
      diag.restore();
    }
  });
});
