/*
 * CommonJS and ES module applications, enable()/disable(), and a postgres.js
 * loaded before the instrumentation could patch it.
 */
import { postgresAddress, requireReachable, CLOSED, CREATED, DB_USE_TIME, REUSED, type MetricsSnapshot } from '@connmetrics/test-harness';
import { pool, runPostgresFixture } from './support/fixtures';

const { host, port, database } = postgresAddress();
const NAME = `${host}:${port}/${database}`;
const TOO_EARLY = /postgres\.js 3 \(the `postgres` package\) could not be patched by @connmetrics\/instrumentation-postgres: it was loaded before the instrumentation was enabled, or imported as an ES module without the module hook/;

beforeAll(async () => {
  await requireReachable('PostgreSQL', host, port);
});

const counts = (snapshot: MetricsSnapshot) => ({
  created: snapshot.sum(CREATED, pool(NAME)),
  reused: snapshot.sum(REUSED, pool(NAME)),
  closed: snapshot.sum(CLOSED, pool(NAME)),
});

describe('CommonJS and ES module applications are counted alike', () => {
  test("require('postgres'): created = backends, created + reused = 30", async () => {
    const { snapshots, values } = await runPostgresFixture<{ backends: number }>('pool.js', 'workload');
    expect(counts(snapshots.after!)).toEqual({ created: values.backends, reused: 30 - values.backends, closed: 0 });
  });

  test("import postgres from 'postgres' with import-in-the-middle registered, as an OpenTelemetry ESM set-up does", async () => {
    const { snapshots, values } = await runPostgresFixture<{ backends: number; warnings: string[] }>('esm/app.mjs', 'workload', {
      execArgv: ['--import', './esm/register.mjs'],
      env: { CONNMETRICS_FIXTURE_IITM: '1' },
    });
    expect(values.warnings).toEqual([]);
    expect(counts(snapshots.after!)).toEqual({ created: values.backends, reused: 30 - values.backends, closed: 0 });
    expect(counts(snapshots.ended!)).toEqual({ created: values.backends, reused: 30 - values.backends, closed: values.backends });
  });

  test('an ES module application without the module hook: nothing is counted, and one diag.warn says why and what to do', async () => {
    const { snapshots, values } = await runPostgresFixture<{ warnings: string[] }>('esm/app.mjs', 'workload', {
      execArgv: ['--import', './esm/register.mjs'],
    });
    expect(values.warnings).toHaveLength(1);
    expect(values.warnings[0]).toMatch(TOO_EARLY);
    expect(values.warnings[0]).toContain('--import @connmetrics/auto/register');
    expect(counts(snapshots.ended!)).toEqual({ created: 0, reused: 0, closed: 0 });
  });
});

test('disable() twice counts nothing; enable() twice counts once again', async () => {
  const { snapshots, values } = await runPostgresFixture<{ warnings: string[] }>('lifecycle.js', 'disable-enable');
  expect(values.warnings).toEqual([]);
  // Three pools of one connection, three queries each, ended each time.
  expect(counts(snapshots.enabled!)).toEqual({ created: 1, reused: 2, closed: 1 });
  expect(counts(snapshots.disabled!)).toEqual({ created: 1, reused: 2, closed: 1 });
  expect(counts(snapshots['enabled-again']!)).toEqual({ created: 2, reused: 4, closed: 2 });
});

test('a query in flight across disable() and enable(): no use_time for it, one for each query after', async () => {
  const { snapshots, values } = await runPostgresFixture<{ warnings: string[] }>('lifecycle.js', 'in-flight-across-disable');
  expect(values.warnings).toEqual([]);
  // select 1 before, then the pg_sleep in flight across disable()/enable() (not recorded), then select 1 after.
  expect(snapshots.after!.count(DB_USE_TIME, pool(NAME))).toBe(2);
});

test("HTTPS requests beside postgres.js (Node's TLSSocket has its own `ssl` field too) are not taken for an unpatched postgres.js", async () => {
  const { snapshots, values } = await runPostgresFixture<{ warnings: string[]; accepted: number }>('lifecycle.js', 'other-tls-sockets');
  expect(values).toEqual({ warnings: [], accepted: 2 });
  expect(counts(snapshots.after!)).toEqual({ created: 1, reused: 2, closed: 1 });
});

test('postgres required before the instrumentation: nothing is counted, and it is said once', async () => {
  const { snapshots, values } = await runPostgresFixture<{ warnings: string[] }>('lifecycle.js', 'loaded-early');
  expect(values.warnings).toHaveLength(1);
  expect(values.warnings[0]).toMatch(TOO_EARLY);
  expect(counts(snapshots.after!)).toEqual({ created: 0, reused: 0, closed: 0 });
});
