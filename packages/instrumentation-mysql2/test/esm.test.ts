import type { MetricsSnapshot } from '@connmetrics/test-harness';
import { CLOSED, CONNECT, COUNT, CREATED, CREATE_TIME, POOL_NAME, REUSED, USE_TIME, WAIT_TIME, requireMysql, runMySQL2Fixture } from './support/fixtures';

beforeAll(requireMysql);

const pooled = { [POOL_NAME]: '127.0.0.1:3306/test' };
const bare = { [POOL_NAME]: undefined };

/** The numbers of the shared workload: a pool (connectionLimit 3, 30 queries at once), then a connection (10 queries). */
function workloadNumbers(snapshot: MetricsSnapshot) {
  return {
    pooled: { created: snapshot.sum(CREATED, pooled), reused: snapshot.sum(REUSED, pooled), closed: snapshot.sum(CLOSED, pooled) },
    bare: { created: snapshot.sum(CREATED, bare), reused: snapshot.sum(REUSED, bare), closed: snapshot.sum(CLOSED, bare) },
    pool: { createTime: snapshot.count(CREATE_TIME), waitTime: snapshot.count(WAIT_TIME), useTime: snapshot.count(USE_TIME) },
  };
}

const expected = {
  pooled: { created: 3, reused: 27, closed: 3 },
  bare: { created: 1, reused: 9, closed: 1 },
  pool: { createTime: 3, waitTime: 30, useTime: 30 },
};

describe('CommonJS and ES module applications are counted alike', () => {
  test("require('mysql2')", async () => {
    const { snapshots } = await runMySQL2Fixture('cjs-app.js', 'workload');
    expect(workloadNumbers(snapshots.after!)).toEqual(expected);
    expect(snapshots.after!.count(CONNECT)).toBe(4);
  });

  test("import mysql from 'mysql2' and 'mysql2/promise' under node --import", async () => {
    const { snapshots } = await runMySQL2Fixture('esm/app.mjs', 'workload', { execArgv: ['--import', './esm/register.mjs'] });
    // The workload, plus one promise-API connection with 2 uses.
    expect(workloadNumbers(snapshots.after!)).toEqual({ ...expected, bare: { created: 2, reused: 10, closed: 2 } });
  });

  test('the same with import-in-the-middle registered, as an OpenTelemetry ESM set-up does', async () => {
    const { snapshots } = await runMySQL2Fixture('esm/app.mjs', 'workload', {
      execArgv: ['--import', './esm/register.mjs'],
      env: { CONNMETRICS_FIXTURE_IITM: '1' },
    });
    expect(workloadNumbers(snapshots.after!)).toEqual({ ...expected, bare: { created: 2, reused: 10, closed: 2 } });
  });
});

describe('mysql2 loaded before the instrumentation was enabled', () => {
  test('pools are counted exactly from the tracing channels; connections no pool owns are not, and one diag.warn says so with the fix', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ warnings: Array<{ level: string; message: string }> }>('late-app.js', 'workload');
    const after = snapshots.after!;
    // The workload twice: two pools of 3 that share the default name.
    expect(after.sum(CREATED, pooled)).toBe(6);
    expect(after.sum(REUSED, pooled)).toBe(54);
    expect(after.sum(CLOSED, pooled)).toBe(6);
    expect(after.count(WAIT_TIME, pooled)).toBe(60);
    expect(after.count(USE_TIME, pooled)).toBe(60);
    expect(after.count(CREATE_TIME, pooled)).toBe(6);
    expect(after.sum(COUNT, pooled)).toBe(0);
    expect(after.sum(CREATED, bare)).toBe(0);
    expect(after.sum(REUSED, bare)).toBe(0);
    expect(values.warnings).toHaveLength(1);
    expect(values.warnings[0]!.level).toBe('warn');
    expect(values.warnings[0]!.message).toMatch(/mysql2 was loaded before MySQL2ConnectionInstrumentation was enabled/);
    expect(values.warnings[0]!.message).toMatch(/before mysql2 is required or imported/);
  });
});
