/*
 * The hot-path guard: what a reused use, and a new connection, cost in SDK
 * calls, counted, not timed. Each protocol's instrumentation records into a
 * real MeterProvider (sdk-metrics) whose instruments count their
 * add()/record() calls; after a warm-up, 200 uses of one kept connection (or
 * 200 new connections, each used once and closed) are measured in a real
 * process against a real server. A new per-use or per-connection recording,
 * an attribute object built per use (the SDK hashes every attribute set
 * it is given), or a WeakRef read per reused use (V8 allocates a set for the
 * first deref() of each job), changes these numbers and fails here, long
 * before a benchmark would show it.
 *
 * The table is today's truth. Lanes that remove a per-use recording lower
 * it here in the same change (the lead adjusts it at merge). A new protocol:
 * its instrumentation in PACKAGES and a client in CLIENTS of
 * fixtures/hot-path.cjs, and its row here.
 */
import { join } from 'node:path';
import { runFixture } from '@connmetrics/test-harness';
import { FIXTURES } from './support/fixtures';

interface HotPath {
  uses: number;
  created: number;
  reused: number;
  closed: number;
  callsPerUse: Record<string, number>;
  freshAttributesPerUse: Record<string, number>;
  /** WeakRef deref() calls from connmetrics' packages per use (each allocates V8's keep-during-job set). */
  weakRefReadsPerUse: number;
}

/** SDK calls per reused use, by instrument name. Everything else is recorded per connection, at its creation or close. */
const SDK_CALLS_PER_REUSED_USE: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // nothing: a request handed an idle kept-alive connection waited for none, so no time_in_queue (.NET's meaning)
  undici: {},
  fetch: {},
  http: {},
  // the two semconv histograms per checkout
  pg: { 'db.client.connection.wait_time': 1, 'db.client.connection.use_time': 1 },
  mysql2: { 'db.client.connection.wait_time': 1, 'db.client.connection.use_time': 1 },
  postgres: { 'db.client.connection.wait_time': 1, 'db.client.connection.use_time': 1 },
  postgres4: { 'db.client.connection.wait_time': 1, 'db.client.connection.use_time': 1 },
  ioredis: {},
  'node-redis': {},
  grpc: {},
};

describe.each(Object.keys(SDK_CALLS_PER_REUSED_USE))('%s: a reused use', (protocol) => {
  let run: HotPath;
  beforeAll(async () => {
    const fixture = await runFixture<HotPath>(join(FIXTURES, 'hot-path.cjs'), { args: [protocol], timeoutMs: 60_000 });
    expect(fixture.stderr).toBe('');
    expect(fixture.code).toBe(0);
    run = fixture.result!;
  });

  test('every measured use was a reuse of the warmed-up connection', () => {
    expect(run.created).toBe(0);
    expect(run.reused).toBe(run.uses);
  });

  test('makes exactly the SDK calls of the table', () => {
    expect(run.callsPerUse).toEqual(SDK_CALLS_PER_REUSED_USE[protocol]);
  });

  test('builds no attribute object: every recording reuses the connection\'s own', () => {
    expect(run.freshAttributesPerUse).toEqual({});
  });

  test('reads no WeakRef (a pool\'s claim is kept while it holds)', () => {
    expect(run.weakRefReadsPerUse).toBe(0);
  });
});

/**
 * SDK calls per new connection (opened, used once, closed), by instrument
 * name: what churn costs (a client without keep-alive, a pool that replaces
 * its connections). Each is one recording of a histogram: the counts of
 * connections created and closed are observable counters fed from integers,
 * like the reused count.
 */
const SDK_CALLS_PER_NEW_CONNECTION: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // keep-alive off: the connection closes with its request in flight, so no idle_time
  http: {
    'connmetrics.connection.connect.duration': 1,
    'http.client.request.time_in_queue': 1,
    'connmetrics.connection.uses': 1,
    'http.client.connection.duration': 1,
  },
  undici: {
    'connmetrics.connection.connect.duration': 1,
    'http.client.request.time_in_queue': 1,
    'connmetrics.connection.uses': 1,
    'connmetrics.connection.idle_time': 1,
    'http.client.connection.duration': 1,
  },
  // a Client, not a Pool: no db.client.connection.* histograms
  pg: {
    'connmetrics.connection.connect.duration': 1,
    'connmetrics.connection.uses': 1,
    'connmetrics.connection.idle_time': 1,
  },
};

describe.each(Object.keys(SDK_CALLS_PER_NEW_CONNECTION))('%s: a new connection', (protocol) => {
  let run: HotPath;
  beforeAll(async () => {
    const fixture = await runFixture<HotPath>(join(FIXTURES, 'hot-path.cjs'), { args: [protocol, 'new'], timeoutMs: 60_000 });
    expect(fixture.stderr).toBe('');
    expect(fixture.code).toBe(0);
    run = fixture.result!;
  });

  test('every measured use was a new connection, closed before the count', () => {
    expect({ created: run.created, reused: run.reused, closed: run.closed }).toEqual({ created: run.uses, reused: 0, closed: run.uses });
  });

  test('makes exactly the SDK calls of the table', () => {
    expect(run.callsPerUse).toEqual(SDK_CALLS_PER_NEW_CONNECTION[protocol]);
  });

  test('builds no attribute object: every recording reuses its server\'s shared set (core\'s attribute-sets)', () => {
    expect(run.freshAttributesPerUse).toEqual({});
  });
});
