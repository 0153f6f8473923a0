/*
 * Against a PostgreSQL server of the test's own: TLS (the machine's server
 * may run with ssl = off) and password authentication (it trusts everyone).
 */
import { CONNECT, CREATED, DNS, ERROR_TYPE, FAILED, REUSED, TLS, pool, runPgFixture } from './support/fixtures';
import { startPostgresServer, type PostgresServer } from '@connmetrics/test-harness';

interface SeenError {
  name: string;
  code?: string;
  message: string;
}

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgresServer({ ssl: true });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const run = <Values>(scenario: string) =>
  runPgFixture<Values>('tls.js', scenario, {
    database: { host: server.host, port: server.port, user: server.user, password: server.password, database: server.database },
  });

/** No attribute of any metric carries the password, the user or SQL. */
function expectNoSecrets(snapshotJson: string) {
  expect(snapshotJson).not.toContain(server.password);
  expect(snapshotJson).not.toContain('wrong-password');
  expect(snapshotJson).not.toContain(server.user);
  expect(snapshotJson).not.toMatch(/SELECT/i);
}

describe('TLS (PostgreSQL upgrades the socket after the SSLRequest)', () => {
  test('ssl: { rejectUnauthorized: false }, pool max 2, 10 queries at once: one TLS handshake per created connection', async () => {
    const { snapshots, values } = await run<{ serverSide: string[] }>('pool');
    expect(values.serverSide).toEqual(['true TLSv1.3']); // the server's view: every query ran over TLS 1.3
    const after = snapshots.after!;
    expect(after.sum(CREATED, pool('tls'))).toBe(2);
    expect(after.sum(REUSED, pool('tls'))).toBe(8);
    expect(after.count(CONNECT, pool('tls'))).toBe(2);
    expect(after.count(TLS)).toBe(2);
    expect(after.attributeSets(TLS)).toEqual([
      {
        'network.protocol.name': 'postgresql',
        'server.address': '127.0.0.1',
        'server.port': server.port,
        'db.system.name': 'postgresql',
        'db.client.connection.pool.name': 'tls',
        'tls.protocol.version': '1.3',
        'tls.resumed': false,
      },
    ]);
    expect(after.sum(FAILED)).toBe(0);
    expectNoSecrets(JSON.stringify(after.allAttributeSets()));
  });

  test('a verified certificate through DNS: one lookup, one TCP connect, one handshake, created 1, reused 2', async () => {
    const { snapshots } = await run('verified');
    const after = snapshots.after!;
    const target = { 'server.address': 'localhost', 'server.port': server.port };
    expect(after.sum(CREATED, target)).toBe(1);
    expect(after.sum(REUSED, target)).toBe(2);
    expect(after.count(DNS, { ...target, 'dns.question.name': 'localhost' })).toBe(1);
    expect(after.count(CONNECT, target)).toBe(1);
    expect(after.count(TLS, { ...target, 'tls.protocol.version': '1.3' })).toBe(1);
  });

  test('an untrusted certificate: the attempt fails with the certificate error, its handshake is timed with it', async () => {
    const { snapshots, values } = await run<{ bare: SeenError }>('untrusted');
    expect(values.bare).toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    const after = snapshots.after!;
    expect(after.sum(FAILED, { [ERROR_TYPE]: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })).toBe(1);
    expect(after.count(TLS, { [ERROR_TYPE]: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })).toBe(1);
    expect(after.sum(CREATED)).toBe(0);
  });
});

describe('password authentication', () => {
  test('a wrong password: SQLSTATE 28P01, over TLS and in a pool; the password is nowhere in the metrics', async () => {
    const { snapshots, values } = await run<{ overTls: SeenError; pooled: SeenError }>('badPassword');
    expect(values.overTls).toMatchObject({ name: 'DatabaseError', code: '28P01' });
    expect(values.pooled).toMatchObject({ name: 'DatabaseError', code: '28P01' });
    const after = snapshots.after!;
    expect(after.sum(FAILED, { [ERROR_TYPE]: '28P01' })).toBe(2);
    expect(after.sum(FAILED, { [ERROR_TYPE]: '28P01', ...pool('bad-password') })).toBe(1);
    expect(after.count(TLS, { 'tls.protocol.version': '1.3' })).toBe(1); // TLS itself succeeded
    expect(after.sum(CREATED)).toBe(0);
    expectNoSecrets(JSON.stringify(after.allAttributeSets()));
  });
});
