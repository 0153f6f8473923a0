import { postgresAddress, requireReachable } from '@connmetrics/test-harness';
import { CLOSED, CLOSE_REASON, IDLE_TIME, REUSE_FAILED, USES, CONNECT, COUNT, CREATED, DNS, ERROR_TYPE, FAILED, POOL_NAME, REUSED, SERVER, runPgFixture } from './support/fixtures';

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
});

const bare = { 'network.protocol.name': 'postgresql', 'db.system.name': 'postgresql', 'server.address': SERVER.address, 'server.port': SERVER.port };

describe('pg.Client without a pool: a use is a query', () => {
  test('10 sequential new Client(), connect, query, end: created 10, reused 0, closed 10', async () => {
    const { snapshots, values } = await runPgFixture<{ backends: number }>('client.js', 'sequential');
    expect(values.backends).toBe(10); // ten distinct pg_backend_pid()s: the server's view
    const after = snapshots.after!;
    expect(after.sum(CREATED)).toBe(10);
    expect(after.sum(REUSED)).toBe(0);
    expect(after.sum(CLOSED)).toBe(10);
    expect(after.sum(CLOSED, { [ERROR_TYPE]: undefined })).toBe(10); // an orderly end has no error.type
    expect(after.sum(CLOSED, { [CLOSE_REASON]: 'client_closed' })).toBe(10); // client.end()
    // A new Client per query: every connection served one use (count 10, sum 10: all in bucket 1).
    expect([after.count(USES), after.histogramSum(USES)]).toEqual([10, 10]);
    expect(after.count(IDLE_TIME, { [CLOSE_REASON]: 'client_closed' })).toBe(10);
    expect(after.sum(REUSE_FAILED)).toBe(0);
    expect(after.count(CONNECT)).toBe(10);
    expect(after.sum(FAILED)).toBe(0);
    expect(after.attributeSets(CREATED)).toEqual([bare]); // no pool name: no pool owns them
    expect(after.points(COUNT)).toEqual([]); // pool gauges are for pools
  });

  test('one client, 10 queries, through DNS: created 1, reused 9, one lookup', async () => {
    const { snapshots } = await runPgFixture('client.js', 'oneClient');
    const open = snapshots.open!;
    const localhost = { ...bare, 'server.address': 'localhost' };
    expect(open.sum(CREATED, localhost)).toBe(1);
    expect(open.sum(REUSED, localhost)).toBe(9);
    expect(open.count(DNS, { ...localhost, 'dns.question.name': 'localhost' })).toBe(1);
    expect(open.count(CONNECT, localhost)).toBe(1);
    expect(open.sum(CLOSED)).toBe(0);
    expect(snapshots.ended!.sum(CLOSED, localhost)).toBe(1);
  });

  test('a query issued before connect() resolved is the connection’s first use', async () => {
    const { snapshots, values } = await runPgFixture<{ rows: number[] }>('client.js', 'queryWhileConnecting');
    expect(values.rows).toEqual([0, 1, 2, 3, 4]);
    expect(snapshots.after!.sum(CREATED)).toBe(1);
    expect(snapshots.after!.sum(REUSED)).toBe(4);
  });

  test('a client connected while the instrumentation was disabled is adopted: each later query is reused', async () => {
    const { snapshots } = await runPgFixture('client.js', 'adopted');
    const after = snapshots.after!;
    expect(after.sum(CREATED)).toBe(0);
    expect(after.sum(REUSED, bare)).toBe(3);
    expect(after.sum(CLOSED, bare)).toBe(1);
  });

  test('200 churned clients and 20 failed attempts leave no state behind', async () => {
    const { snapshots, values } = await runPgFixture<{ openTracked: number; attempts: number; failures: number }>('client.js', 'churn');
    expect(values).toEqual({ openTracked: 0, attempts: 0, failures: 20 });
    const after = snapshots.after!;
    expect(after.sum(CREATED)).toBe(200);
    expect(after.sum(CLOSED)).toBe(200);
    expect(after.sum(FAILED, { [ERROR_TYPE]: '3D000' })).toBe(20);
    expect(after.points(CREATED).every((point) => !(POOL_NAME in point.attributes))).toBe(true);
  });
});
