import { postgresAddress, requireReachable, type MetricsSnapshot } from '@connmetrics/test-harness';
import { CLOSED, CREATED, CREATE_TIME, REUSED, USE_TIME, WAIT_TIME, runPgFixture, sharedPoolName } from './support/fixtures';

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
});

const pooled = { 'db.client.connection.pool.name': sharedPoolName() };
const bare = { 'db.client.connection.pool.name': undefined };

/** The numbers of the shared workload: a pool (max 3, 30 queries at once), then a bare client (10 queries). */
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
  test('require(\'pg\')', async () => {
    const { snapshots } = await runPgFixture('cjs-app.js', 'workload');
    expect(workloadNumbers(snapshots.after!)).toEqual(expected);
  });

  test('import pg from \'pg\' under node --import', async () => {
    const { snapshots, values } = await runPgFixture<{ sameClient: boolean }>('esm/app.mjs', 'workload', {
      execArgv: ['--import', './esm/register.mjs'],
    });
    expect(values.sameClient).toBe(true);
    expect(workloadNumbers(snapshots.after!)).toEqual(expected);
  });

  test('import pg from \'pg\' with import-in-the-middle registered, as an OpenTelemetry ESM set-up does', async () => {
    const { snapshots } = await runPgFixture('esm/app.mjs', 'workload', {
      execArgv: ['--import', './esm/register.mjs'],
      env: { CONNMETRICS_FIXTURE_IITM: '1' },
    });
    expect(workloadNumbers(snapshots.after!)).toEqual(expected);
  });

  test('set up in code, then `await import(\'pg\')` (no loader hook)', async () => {
    const { snapshots } = await runPgFixture('esm/in-code.mjs', 'workload');
    expect(workloadNumbers(snapshots.after!)).toEqual(expected);
  });

  test('pg required before the instrumentation exists: enable() patches the loaded copy', async () => {
    const { snapshots } = await runPgFixture('loaded-first.js', 'workload');
    expect(workloadNumbers(snapshots.after!)).toEqual(expected);
  });
});
