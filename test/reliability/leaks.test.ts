/*
 * Leaks: 100,000 connections churned across every protocol, in a child
 * process under --expose-gc, with every instrumentation enabled. Afterwards
 * the connection objects were all collected (a sample of them is watched by a
 * FinalizationRegistry), every gauge is back to 0, the heap is where it was
 * after the warm-up (within a budget far below any per-connection state),
 * listeners, channel subscriptions and handles are as before, and no
 * MaxListenersExceededWarning (or any warning) was emitted.
 *
 * The 100,000 are not split evenly: a PostgreSQL connection costs a server
 * process fork and the shared server allows 100 connections (so 4 at a time
 * here), MariaDB is shared with the other suites, and a grpc-js channel is
 * much heavier to set up than a socket, so those three protocols churn 4,000
 * each and postgres.js (a pool per connection, which also fetches array
 * types; postgres.js 3 and 4 in turn) 2,000; undici 34,000, node:http 32,000, ioredis and node-redis
 * 10,000 each. Each protocol runs its own churn concurrently with the
 * others, in two halves.
 *
 * `pnpm test` runs this file on its own, after the other files (see
 * test/run-tests.mjs), so its churn never competes with them for the CPU; its
 * budget below is several times what the churn takes on a loaded 2-core
 * machine (about 3 minutes), and it proves nothing about speed.
 */
import { mysqlAddress, postgresAddress, requireReachable } from '@connmetrics/test-harness';
import { PROTOCOLS, runScenario, type Protocol } from './support/fixtures';
import { CREATED, GAUGES, REUSED } from './support/names';
import { startOwnRedisServer, type OwnRedisServer } from './support/redis-server';

const COUNTS: Record<Protocol, number> = { undici: 34_000, http: 32_000, ioredis: 10_000, redis: 10_000, pg: 4_000, grpc: 4_000, mysql2: 4_000, postgres: 2_000 };
/** Connections each protocol opens before the baseline is taken. */
const WARMUP = 200;
/** Uses per connection in the churn: 1 request (HTTP), 2 queries, 2 commands, 2 calls. */
const USES: Record<Protocol, number> = { undici: 1, http: 1, pg: 2, ioredis: 2, redis: 2, grpc: 2, mysql2: 2, postgres: 2 };
/**
 * Heap budget for the whole churn: 8 MB over 100,000 connections, 80 bytes
 * each. Any state kept per connection (a tracker entry, a listener closure, a
 * Map or Set entry) is larger than that; what remains is noise of the
 * libraries and of V8 (measured: under 1 MB).
 */
const HEAP_BUDGET = 8 * 1024 * 1024;
/** Time budget of the churn process (not an assertion: a bound so a hang ends the run). */
const CHURN_TIMEOUT_MS = 900_000;

interface Measure {
  heapUsed: number;
  processListeners: number;
  httpAgent: number;
  globalAgent: number;
  channels: string[];
  activeResources: string[];
}

interface ChurnValues {
  baseline: Measure;
  middle: Measure;
  after: Measure;
  collected: Record<Protocol, { watched: number; collected: number }>;
  churnMs: number;
}

let redis: OwnRedisServer;
beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
  const mysql = mysqlAddress();
  await requireReachable('MySQL/MariaDB', mysql.host, mysql.port);
  redis = await startOwnRedisServer();
});
afterAll(async () => {
  await redis.close();
});

test('100,000 churned connections across every protocol leave nothing behind', async () => {
  const total = Object.values(COUNTS).reduce((sum, count) => sum + count, 0);
  expect(total).toBe(100_000);
  const { values, collections, warnings } = await runScenario<ChurnValues>(
    'churn.cjs',
    'churn',
    { counts: COUNTS, warmup: WARMUP, redisPort: redis.port },
    { execArgv: ['--expose-gc'], timeoutMs: CHURN_TIMEOUT_MS },
  );

  // No warning at all: no MaxListenersExceededWarning, no leak detector of any library.
  expect(warnings).toEqual([]);

  // Every sampled connection object was collected once closed: nothing holds on to it.
  for (const protocol of PROTOCOLS) {
    const { watched, collected } = values.collected[protocol];
    expect({ protocol, watched, collected }).toEqual({ protocol, watched: COUNTS[protocol] / 10, collected: COUNTS[protocol] / 10 });
  }

  // Every connection was counted, exactly; none is still open in a gauge.
  const last = collections[1]!;
  expect(last.errors).toEqual([]);
  for (const protocol of PROTOCOLS) {
    const snapshot = last.of(protocol);
    const connections = COUNTS[protocol] + WARMUP;
    const { name } = GAUGES[protocol];
    const open = snapshot.metric(name) ? snapshot.sum(name) : 0;
    expect({ protocol, created: snapshot.sum(CREATED), reused: snapshot.metric(REUSED) ? snapshot.sum(REUSED) : 0, open }).toEqual({
      protocol,
      created: connections,
      reused: connections * (USES[protocol] - 1),
      open: 0,
    });
  }

  // Listeners, subscriptions and handles as at the baseline; the heap within the budget.
  const { baseline, after } = values;
  expect({ ...after, heapUsed: 0 }).toEqual({ ...baseline, heapUsed: 0 });
  expect(after.heapUsed - baseline.heapUsed).toBeLessThanOrEqual(HEAP_BUDGET);
}, CHURN_TIMEOUT_MS + 20_000);
