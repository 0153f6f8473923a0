/*
 * Forced failures inside the instrumentations' hooks, for every protocol in
 * one process: the application sees exactly what it sees without
 * instrumentation, every failing hook is logged once through diag, nothing
 * reaches the SDK's collection, and a failing recorder leaves no connection
 * stuck in a gauge.
 */
import { mysqlAddress, postgresAddress, redisAddress, requireReachable } from '@connmetrics/test-harness';
import { PROTOCOLS, SCOPES, runScenario, type Collection, type Protocol } from './support/fixtures';
import { GAUGES } from './support/names';
import { EXPECTED, countsOf } from './support/workload-counts';

interface WorkloadValues {
  outcomes: Record<Protocol, unknown[]>;
}


/** Open connections by protocol package, as `{ busy, idle }`, from one collection. */
function gauges(collection: Collection): Record<Protocol, { busy: number; idle: number }> {
  const result = {} as Record<Protocol, { busy: number; idle: number }>;
  for (const protocol of PROTOCOLS) {
    const { name, state, busy } = GAUGES[protocol];
    const snapshot = collection.of(protocol);
    const points = snapshot.points(name);
    const total = points.reduce((sum, point) => sum + (point.value as number), 0);
    const busyCount = snapshot.metric(name) ? snapshot.sum(name, { [state]: busy }) : 0;
    result[protocol] = { busy: busyCount, idle: total - busyCount };
  }
  return result;
}

/** Error lines logged through diag, by the package (diag namespace) that logged them. */
function errorLines(diag: ReadonlyArray<{ level: string; message: string }>): string[] {
  return diag.filter((entry) => entry.level === 'error').map((entry) => entry.message);
}

const duplicates = (lines: string[]) => lines.filter((line, index) => lines.indexOf(line) !== index);

let uninstrumented: WorkloadValues;

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
  const redis = redisAddress();
  await requireReachable('Redis', redis.host, redis.port);
  const mysql = mysqlAddress();
  await requireReachable('MySQL/MariaDB', mysql.host, mysql.port);
  ({ values: uninstrumented } = await runScenario<WorkloadValues>('faults.cjs', 'workload', { mode: 'none' }));
});

test('working instruments: the workload of every protocol counts exactly, and the application sees the same as without', async () => {
  const { values, collections, diag } = await runScenario<WorkloadValues>('faults.cjs', 'workload', { mode: 'working' });
  expect(values.outcomes).toEqual(uninstrumented.outcomes);
  const last = collections[collections.length - 1]!;
  expect(countsOf(last, PROTOCOLS)).toEqual(EXPECTED);
  expect(errorLines(diag)).toEqual([]);
  expect(last.errors).toEqual([]);
});

test('every instrument throws: the application sees exactly what it sees uninstrumented; each failing hook is logged once', async () => {
  const { values, diag } = await runScenario<WorkloadValues>('faults.cjs', 'workload', { mode: 'throwing' });
  expect(values.outcomes).toEqual(uninstrumented.outcomes);
  const errors = errorLines(diag);
  // Every protocol package met the failure (its hooks ran) and said so.
  for (const scope of Object.values(SCOPES)) expect(errors.some((line) => line.startsWith(scope))).toBe(true);
  // Once per hook, however many connections and uses hit it: repeats go to debug.
  expect(duplicates(errors)).toEqual([]);
});

test.each(['getMeter', 'instruments'])(
  'a MeterProvider whose %s throws at setup: registering does not throw, every request of every protocol succeeds as without, each failure logged once',
  async (where) => {
    const { values, diag } = await runScenario<WorkloadValues>('faults.cjs', 'workload', { mode: `setup-${where}` });
    expect(values.outcomes).toEqual(uninstrumented.outcomes);
    const errors = errorLines(diag);
    for (const scope of Object.values(SCOPES)) expect(errors.some((line) => line.startsWith(scope))).toBe(true);
    expect(duplicates(errors)).toEqual([]);
  },
);

test('counters throw while gauges are read: no connection is left open in a gauge once every connection closed', async () => {
  const { values, collections } = await runScenario<WorkloadValues>('faults.cjs', 'workload', { mode: 'counters' });
  expect(values.outcomes).toEqual(uninstrumented.outcomes);
  const last = collections[collections.length - 1]!;
  expect(last.errors).toEqual([]);
  const none = Object.fromEntries(PROTOCOLS.map((protocol) => [protocol, { busy: 0, idle: 0 }]));
  expect(gauges(last)).toEqual(none);
});

describe('observable callbacks that throw', () => {
  test('working: one idle connection per protocol while open, none after', async () => {
    const { collections } = await runScenario('faults.cjs', 'idleConnections', { mode: 'working' });
    const one = Object.fromEntries(PROTOCOLS.map((protocol) => [protocol, { busy: 0, idle: 1 }]));
    const none = Object.fromEntries(PROTOCOLS.map((protocol) => [protocol, { busy: 0, idle: 0 }]));
    expect(collections.map(gauges)).toEqual([one, one, one, none]);
  });

  test('throwing: nothing reaches the SDK, and each package logs the failure once over four collections', async () => {
    const { collections, diag } = await runScenario('faults.cjs', 'idleConnections', { mode: 'observables' });
    expect(collections.map((collection) => collection.errors)).toEqual([[], [], [], []]);
    const errors = errorLines(diag);
    const perPackage = Object.fromEntries(PROTOCOLS.map((protocol) => [protocol, errors.filter((line) => line.startsWith(SCOPES[protocol])).length]));
    expect(perPackage).toEqual(Object.fromEntries(PROTOCOLS.map((protocol) => [protocol, 1])));
  });
});
