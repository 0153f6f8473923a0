import { CLOSED, CONNECT, CREATED, CREATE_TIME, FAILED, IDLE_TIME, REUSED, REUSE_FAILED, USES, ERROR_TYPE, POOL_NAME, reason, requireMysql, runMySQL2Fixture } from './support/fixtures';

beforeAll(requireMysql);

const bare = { [POOL_NAME]: undefined };

describe('connections no pool owns (createConnection): a use is a query or execute', () => {
  test('10 sequential createConnection, one query each: created 10 (= distinct CONNECTION_ID()s), reused 0, each closed by the client after 1 use', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ distinct: number; listed: number }>('connection.js', 'sequential');
    expect(values.distinct).toBe(10);
    expect(values.listed).toBe(0); // all ended
    const after = snapshots.after!;
    expect(after.sum(CREATED, bare)).toBe(10);
    expect(after.sum(REUSED)).toBe(0);
    expect(after.sum(FAILED)).toBe(0);
    expect(after.sum(CLOSED, reason('client_closed', bare))).toBe(10);
    expect(after.count(USES)).toBe(10);
    expect(after.histogramSum(USES)).toBe(10);
    expect(after.count(IDLE_TIME, reason('client_closed'))).toBe(10);
    expect(after.count(CONNECT, bare)).toBe(10);
    expect(after.count(CREATE_TIME)).toBe(0); // a pool metric
    expect(after.attributeSets(CREATED)).toEqual([
      { 'network.protocol.name': 'mysql', 'db.system.name': 'mariadb', 'server.address': '127.0.0.1', 'server.port': 3306 },
    ]);
  });

  test('one connection, 10 queries and executes through the promise and callback APIs: created 1, reused 9; destroy() is a client close', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ ids: number }>('connection.js', 'reuse');
    expect(values.ids).toBe(1);
    expect(snapshots.open!.sum(CREATED)).toBe(1);
    expect(snapshots.open!.sum(REUSED)).toBe(9);
    expect(snapshots.open!.sum(CLOSED)).toBe(0);
    const destroyed = snapshots.destroyed!;
    expect(destroyed.sum(CLOSED, reason('client_closed'))).toBe(1);
    expect(destroyed.histogramSum(USES)).toBe(10);
  });

  test('queries issued before the handshake is done count once the connection is ready: created 1, reused 2', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ errors: number }>('connection.js', 'beforeReady');
    expect(values.errors).toBe(0);
    expect(snapshots.after!.sum(CREATED)).toBe(1);
    expect(snapshots.after!.sum(REUSED)).toBe(2);
  });

  test('KILL of an idle connection: closed by the server, no reuse failure', async () => {
    const { snapshots } = await runMySQL2Fixture('connection.js', 'killed');
    const after = snapshots.after!;
    expect(after.sum(CLOSED, reason('server_closed'))).toBe(1);
    expect(after.sum(CLOSED)).toBe(1);
    expect(after.count(IDLE_TIME, reason('server_closed'))).toBe(1);
    expect(after.sum(REUSE_FAILED)).toBe(0);
  });

  test('the network resets a connection (RST): closed by error ECONNRESET; while its second query runs, also a reuse failure', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ results: Array<{ code: string } | null> }>('connection.js', 'reset');
    expect(values.results).toEqual([null, { code: 'ECONNRESET' }]);
    const after = snapshots.after!;
    expect(after.sum(CREATED)).toBe(2);
    expect(after.sum(CLOSED, reason('error', { [ERROR_TYPE]: 'ECONNRESET' }))).toBe(2);
    expect(after.sum(CLOSED)).toBe(2);
    expect(after.count(IDLE_TIME, reason('error'))).toBe(1); // the idle one
    expect(after.sum(REUSE_FAILED, { [ERROR_TYPE]: 'ECONNRESET' })).toBe(1);
    expect(after.sum(REUSE_FAILED)).toBe(1);
  });

  test('KILL while a reused connection runs a query: one reuse failure with the error the application saw', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ error: { code: string } | null }>('connection.js', 'killedInUse');
    expect(values.error).toEqual({ code: 'PROTOCOL_CONNECTION_LOST' });
    const after = snapshots.after!;
    expect(after.sum(CLOSED, reason('server_closed'))).toBe(1);
    expect(after.sum(CLOSED)).toBe(1);
    expect(after.sum(REUSE_FAILED, { [ERROR_TYPE]: 'PROTOCOL_CONNECTION_LOST' })).toBe(1);
    expect(after.sum(REUSE_FAILED)).toBe(1);
  });
});
