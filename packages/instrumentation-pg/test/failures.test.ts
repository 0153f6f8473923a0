import { postgresAddress, requireReachable } from '@connmetrics/test-harness';
import { CONNECT, COUNT, CREATED, DNS, ERROR_TYPE, FAILED, PENDING, SERVER, TIMEOUTS, pool, runPgFixture, sharedPoolName } from './support/fixtures';

interface SeenError {
  name: string;
  code?: string;
  message: string;
}

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
});

const failedWith = (errorType: string, extra: Record<string, unknown> = {}) => ({ [ERROR_TYPE]: errorType, ...extra });

describe('connection attempts that never become ready: a clear error.type, the application sees pg’s own error', () => {
  test('refused port: ECONNREFUSED, for a bare client and a pool', async () => {
    const { snapshots, values } = await runPgFixture<{ bare: SeenError; pooled: SeenError; port: number }>('failures.js', 'refused');
    expect(values.bare).toMatchObject({ name: 'Error', code: 'ECONNREFUSED' });
    expect(values.pooled).toMatchObject({ name: 'Error', code: 'ECONNREFUSED' });
    const after = snapshots.after!;
    const name = `${SERVER.address}:${values.port}/${SERVER.database}`;
    expect(after.sum(FAILED, failedWith('ECONNREFUSED'))).toBe(2);
    expect(after.sum(FAILED, failedWith('ECONNREFUSED', pool(name)))).toBe(1);
    expect(after.count(CONNECT, failedWith('ECONNREFUSED'))).toBe(2);
    expect(after.sum(CREATED)).toBe(0);
    expect(after.sum(COUNT, pool(name))).toBe(0);
    expect(after.sum(PENDING, pool(name))).toBe(0);
  });

  test('unknown host: ENOTFOUND, with the failed lookup timed', async () => {
    const { snapshots, values } = await runPgFixture<{ bare: SeenError }>('failures.js', 'unknownHost');
    expect(values.bare).toMatchObject({ code: 'ENOTFOUND' });
    const after = snapshots.after!;
    expect(after.sum(FAILED, failedWith('ENOTFOUND', { 'server.address': 'no-such-host.invalid' }))).toBe(1);
    expect(after.count(DNS, failedWith('ENOTFOUND', { 'dns.question.name': 'no-such-host.invalid' }))).toBe(1);
    expect(after.count(CONNECT)).toBe(0);
  });

  test('unknown database: SQLSTATE 3D000', async () => {
    const { snapshots, values } = await runPgFixture<{ bare: SeenError; pooled: SeenError }>('failures.js', 'unknownDatabase');
    expect(values.bare).toMatchObject({ name: 'DatabaseError', code: '3D000' });
    expect(values.pooled).toMatchObject({ name: 'DatabaseError', code: '3D000' });
    const after = snapshots.after!;
    expect(after.sum(FAILED, failedWith('3D000'))).toBe(2);
    expect(after.sum(FAILED, failedWith('3D000', pool(sharedPoolName('connmetrics_no_such_database'))))).toBe(1);
    expect(after.count(CONNECT)).toBe(2); // TCP itself succeeded
    expect(after.sum(CREATED)).toBe(0);
  });

  test('a server that never answers: pool connectionTimeoutMillis and Client connectionTimeoutMillis give error.type timeout', async () => {
    const { snapshots, values } = await runPgFixture<{ pooled: SeenError; bare: SeenError; port: number }>('failures.js', 'silentServer');
    expect(values.pooled).toEqual({ name: 'Error', message: 'Connection terminated due to connection timeout' });
    expect(values.bare).toEqual({ name: 'Error', message: 'timeout expired' });
    const after = snapshots.after!;
    const name = `${SERVER.address}:${values.port}/${SERVER.database}`;
    expect(after.sum(FAILED, failedWith('timeout'))).toBe(2);
    expect(after.sum(FAILED, failedWith('timeout', pool(name)))).toBe(1);
    expect(after.sum(TIMEOUTS, pool(name))).toBe(1);
    expect(after.sum(COUNT, pool(name))).toBe(0);
    expect(after.sum(CREATED)).toBe(0);
  });

  test('a server that closes the connection during startup: connection_terminated', async () => {
    const { snapshots, values } = await runPgFixture<{ bare: SeenError }>('failures.js', 'closingServer');
    expect(values.bare).toEqual({ name: 'Error', message: 'Connection terminated unexpectedly' });
    expect(snapshots.after!.sum(FAILED, failedWith('connection_terminated'))).toBe(1);
    expect(snapshots.after!.sum(FAILED)).toBe(1);
  });

  test('ssl asked of a server without TLS: ssl_not_supported', async () => {
    const { snapshots, values } = await runPgFixture<{ bare: SeenError }>('failures.js', 'sslRefused');
    expect(values.bare).toEqual({ name: 'Error', message: 'The server does not support SSL connections' });
    expect(snapshots.after!.sum(FAILED, failedWith('ssl_not_supported'))).toBe(1);
  });
});
