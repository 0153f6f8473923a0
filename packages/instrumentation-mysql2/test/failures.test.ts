import { CLOSED, CONNECT, COUNT, CREATED, DNS, ERROR_TYPE, FAILED, PENDING, POOL_NAME, TIMEOUTS, pool, requireMysql, runMySQL2Fixture } from './support/fixtures';

/** What the application saw (the fixture asserted it is the same without the instrumentation). */
interface SeenError {
  name: string;
  code?: string;
  errno?: number;
  sqlState?: string;
  message: string;
}

interface BothWays {
  bare: SeenError;
  pooled: SeenError;
  port?: number;
}

beforeAll(requireMysql);

const failedWith = (errorType: string, extra: Record<string, unknown> = {}) => ({ [ERROR_TYPE]: errorType, ...extra });
const bare = { [POOL_NAME]: undefined };

describe('attempts that never become ready: a clear error.type, and the application sees mysql2’s own error (sameWithAndWithout)', () => {
  test('refused port: ECONNREFUSED, for a connection and a pool, with the failed TCP connect timed', async () => {
    const { snapshots, values } = await runMySQL2Fixture<BothWays>('failures.js', 'refused');
    expect(values.bare).toMatchObject({ name: 'Error', code: 'ECONNREFUSED' });
    expect(values.pooled).toMatchObject({ name: 'Error', code: 'ECONNREFUSED' });
    const after = snapshots.after!;
    const name = `127.0.0.1:${values.port}/test`;
    expect(after.sum(FAILED, failedWith('ECONNREFUSED', bare))).toBe(1);
    expect(after.sum(FAILED, failedWith('ECONNREFUSED', pool(name)))).toBe(1);
    expect(after.sum(FAILED)).toBe(2);
    expect(after.attributeSets(FAILED)).toContainEqual({
      'network.protocol.name': 'mysql',
      'db.system.name': 'mysql', // no server answered: nothing says MariaDB
      'server.address': '127.0.0.1',
      'server.port': values.port,
      'error.type': 'ECONNREFUSED',
    });
    expect(after.count(CONNECT, failedWith('ECONNREFUSED'))).toBe(2);
    expect(after.sum(CREATED)).toBe(0);
    expect(after.sum(CLOSED)).toBe(0);
    expect(after.sum(TIMEOUTS)).toBe(0);
  });

  test('unknown host: ENOTFOUND, with the failed lookup timed', async () => {
    const { snapshots, values } = await runMySQL2Fixture<BothWays>('failures.js', 'unknownHost');
    expect(values.bare).toMatchObject({ code: 'ENOTFOUND' });
    expect(values.pooled).toMatchObject({ code: 'ENOTFOUND' });
    const after = snapshots.after!;
    expect(after.sum(FAILED, failedWith('ENOTFOUND', { 'server.address': 'no-such-host.invalid' }))).toBe(2);
    expect(after.count(DNS, failedWith('ENOTFOUND', { 'dns.question.name': 'no-such-host.invalid' }))).toBe(2);
    expect(after.count(CONNECT)).toBe(0);
  });

  test('unknown database: ER_BAD_DB_ERROR from MariaDB', async () => {
    const { snapshots, values } = await runMySQL2Fixture<BothWays>('failures.js', 'unknownDatabase');
    expect(values.bare).toMatchObject({ code: 'ER_BAD_DB_ERROR', errno: 1049, sqlState: '42000' });
    expect(values.pooled).toMatchObject({ code: 'ER_BAD_DB_ERROR' });
    const after = snapshots.after!;
    expect(after.sum(FAILED, failedWith('ER_BAD_DB_ERROR', { 'db.system.name': 'mariadb', ...bare }))).toBe(1);
    expect(after.sum(FAILED, failedWith('ER_BAD_DB_ERROR', pool('127.0.0.1:3306/connmetrics_no_such_database')))).toBe(1);
    expect(after.count(CONNECT, { [ERROR_TYPE]: undefined })).toBe(2); // TCP itself succeeded
    expect(after.sum(CREATED)).toBe(0);
  });

  test('bad password (a user of the test’s own): ER_ACCESS_DENIED_ERROR; the right password connects', async () => {
    const { snapshots, values } = await runMySQL2Fixture<BothWays & { right: SeenError | null; user: string }>('failures.js', 'badPassword');
    expect(values.bare).toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR', errno: 1045, sqlState: '28000' });
    expect(values.pooled).toMatchObject({ code: 'ER_ACCESS_DENIED_ERROR' });
    expect(values.right).toBeNull();
    const after = snapshots.after!;
    expect(after.sum(FAILED, failedWith('ER_ACCESS_DENIED_ERROR'))).toBe(2);
    expect(after.sum(FAILED)).toBe(2);
    expect(after.sum(CREATED, bare)).toBe(1);
    // Neither the user name nor the password becomes an attribute.
    const everything = JSON.stringify(after.allAttributeSets());
    expect(everything).not.toContain(values.user);
  });

  test('a server that never sends its hello: connectTimeout (ETIMEDOUT), and a pool checkout timeout', async () => {
    const { snapshots, values } = await runMySQL2Fixture<BothWays>('failures.js', 'silentServer');
    expect(values.bare).toMatchObject({ code: 'ETIMEDOUT' });
    expect(values.pooled).toMatchObject({ code: 'ETIMEDOUT' });
    const after = snapshots.after!;
    const name = `127.0.0.1:${values.port}/test`;
    expect(after.sum(FAILED, failedWith('ETIMEDOUT', bare))).toBe(1);
    expect(after.sum(FAILED, failedWith('ETIMEDOUT', pool(name)))).toBe(1);
    expect(after.sum(TIMEOUTS, pool(name))).toBe(1);
    expect(after.sum(TIMEOUTS)).toBe(1);
    expect(after.sum(COUNT, pool(name))).toBe(0);
    expect(after.sum(PENDING, pool(name))).toBe(0);
  });

  test('a server that closes at once: PROTOCOL_CONNECTION_LOST', async () => {
    const { snapshots, values } = await runMySQL2Fixture<BothWays>('failures.js', 'closingServer');
    expect(values.bare).toMatchObject({ code: 'PROTOCOL_CONNECTION_LOST' });
    expect(values.pooled).toMatchObject({ code: 'PROTOCOL_CONNECTION_LOST' });
    const after = snapshots.after!;
    expect(after.sum(FAILED, failedWith('PROTOCOL_CONNECTION_LOST'))).toBe(2);
    expect(after.sum(FAILED)).toBe(2);
    expect(after.sum(CLOSED)).toBe(0);
  });

  test('queueLimit reached: the pool refuses the checkout; no failed connection, no timeout', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ errors: Array<SeenError | null> }>('failures.js', 'queueLimit');
    expect(values.errors).toEqual([null, null, { name: 'Error', message: 'Queue limit reached.' }]);
    const after = snapshots.after!;
    expect(after.sum(FAILED)).toBe(0);
    expect(after.sum(TIMEOUTS)).toBe(0);
    expect(after.sum(CREATED)).toBe(1);
  });
});
