/*
 * Lifecycle: disable() and enable() twice in a row for every package, an
 * instrumentation enabled before and after its library is loaded, two copies
 * of one library in one process, every instrumentation at once, and
 * CommonJS and ES module applications. Zero-code loading beside another SDK,
 * in both orders, is proven by packages/auto/test/sdk-interplay.test.ts.
 */
import { mysqlAddress, postgresAddress, redisAddress, requireReachable } from '@connmetrics/test-harness';
import { PROTOCOLS, runScenario, type Protocol } from './support/fixtures';
import { CREATED, REUSED } from './support/names';
import { EXPECTED, countsOf } from './support/workload-counts';

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
  const redis = redisAddress();
  await requireReachable('Redis', redis.host, redis.port);
  const mysql = mysqlAddress();
  await requireReachable('MySQL/MariaDB', mysql.host, mysql.port);
});

const times = (counts: Record<Protocol, { created: number; reused: number; failed: number }>, factor: number) =>
  Object.fromEntries(
    Object.entries(counts).map(([protocol, { created, reused, failed }]) => [protocol, { created: created * factor, reused: reused * factor, failed: failed * factor }]),
  );

test('disable() twice: every channel unsubscribed, nothing counted; enable() twice: counted again, once', async () => {
  const { values, collections, diag } = await runScenario<{
    subscribedWhenEnabled: string[];
    subscribedWhenDisabled: string[];
    subscribedAgain: string[];
    enabledWhenDisabled: number;
  }>('lifecycle.cjs', 'disableEnableTwice');
  expect(values.subscribedWhenEnabled.length).toBeGreaterThan(10);
  expect(values.subscribedWhenDisabled).toEqual([]);
  expect(values.enabledWhenDisabled).toBe(0);
  expect(values.subscribedAgain).toEqual(values.subscribedWhenEnabled);
  const [first, whileDisabled, again] = collections.map((collection) => countsOf(collection, PROTOCOLS));
  expect(first).toEqual(EXPECTED);
  expect(whileDisabled).toEqual(EXPECTED); // the disabled run added nothing
  expect(again).toEqual(times(EXPECTED, 2)); // and the double enable() counts each use once
  expect(diag.filter((entry) => entry.level === 'error')).toEqual([]);
});

test('every instrumentation registered twice on one MeterProvider: each connection, use and failure counted once', async () => {
  const { collections } = await runScenario('lifecycle.cjs', 'twiceRegistered');
  expect(countsOf(collections[0]!, PROTOCOLS)).toEqual(EXPECTED);
});

describe('enabled before or after the library is loaded', () => {
  const none = { created: 0, reused: 0, failed: 0 };
  // What is counted when the application required its library before the
  // instrumentation was created (and does not require it again):
  // - undici and node:http: everything (diagnostics channels need no patch);
  // - @grpc/grpc-js, pg and ioredis: everything (patched at enable() in the
  //   copies found in the module cache; their prototypes are shared with the
  //   objects created from them);
  // - node-redis: everything (its diagnostics channels; only a client's
  //   `name` needs the patch, and this workload names none);
  // - postgres.js: nothing (its hook is a patch of its connection factory);
  // - mysql2: its pools, from its tracing channels (2 created + 4 reused), not
  //   the connection no pool owns (the patch of addCommand names it) nor the
  //   refused one, which mysql2's channel never reports when a query is queued.
  const AFTER: Record<Protocol, { created: number; reused: number; failed: number }> = {
    ...EXPECTED,
    mysql2: { created: 2, reused: 4, failed: 0 },
    postgres: none,
  };

  test.each(PROTOCOLS)('%s', async (protocol) => {
    const before = await runScenario('lifecycle.cjs', 'loadOrder', { protocol, order: 'before' });
    const after = await runScenario('lifecycle.cjs', 'loadOrder', { protocol, order: 'after' });
    expect(before.values).toEqual(after.values); // the application saw the same
    expect({ before: countsOf(before.collections[0]!, [protocol])[protocol], after: countsOf(after.collections[0]!, [protocol])[protocol] }).toEqual({
      before: EXPECTED[protocol],
      after: AFTER[protocol],
    });
  });
});

test('two copies in one process (ioredis 6 and 5.11; undici 7, undici 6 and the global fetch): every use counted once', async () => {
  const { values, collections } = await runScenario<{ results: Record<string, number>; accepted: number }>('lifecycle.cjs', 'copies');
  expect(values.results).toEqual({ 'ioredis 6': 10, 'ioredis 5': 10, 'undici 7': 10, 'undici 6': 10, 'global fetch': 10 });
  const [collection] = collections;
  const redis = collection!.of('ioredis');
  expect({
    ioredis6: { created: redis.sum(CREATED, { 'db.client.connection.pool.name': 'ioredis6' }), reused: redis.sum(REUSED, { 'db.client.connection.pool.name': 'ioredis6' }) },
    ioredis5: { created: redis.sum(CREATED, { 'db.client.connection.pool.name': 'ioredis5' }), reused: redis.sum(REUSED, { 'db.client.connection.pool.name': 'ioredis5' }) },
    undici: { created: collection!.of('undici').sum(CREATED), reused: collection!.of('undici').sum(REUSED), accepted: values.accepted },
  }).toEqual({ ioredis6: { created: 1, reused: 9 }, ioredis5: { created: 1, reused: 9 }, undici: { created: 3, reused: 27, accepted: 3 } });
});

test('every instrumentation at once: undici over HTTP/2, node:http2 and node:https connections are each counted by one package', async () => {
  const { values, collections } = await runScenario<{ seen: string[]; accepted: number }>('lifecycle.cjs', 'together');
  expect(values.seen).toEqual([...Array.from({ length: 8 }, () => 'ok'), '200 ok', '200 ok', '200 ok']);
  expect(values.accepted).toBe(3);
  const [collection] = collections;
  const counts = Object.fromEntries(
    (['undici', 'grpc', 'http'] as const).map((protocol) => [protocol, { created: collection!.of(protocol).sum(CREATED), reused: collection!.of(protocol).sum(REUSED) }]),
  );
  expect(counts).toEqual({
    undici: { created: 1, reused: 4 }, // undici's HTTP/2 connection, 5 requests: undici's alone
    grpc: { created: 1, reused: 2 }, // the node:http2 session, 3 requests
    http: { created: 1, reused: 2 }, // node:https, 3 requests
  });
  expect(collection!.sum(CREATED)).toBe(values.accepted);
});

describe('CommonJS and ES module applications', () => {
  test.each([
    ['CommonJS (node --require ./app-setup.cjs app.cjs)', 'app.cjs', ['--require', './app-setup.cjs']],
    ['ES module (node --import ./app-setup.mjs app.mjs)', 'app.mjs', ['--import', './app-setup.mjs']],
  ])('%s: every protocol counted exactly', async (_name, app, execArgv) => {
    const { collections } = await runScenario(app, '', {}, { execArgv });
    expect(countsOf(collections[0]!, PROTOCOLS)).toEqual(EXPECTED);
  });
});
