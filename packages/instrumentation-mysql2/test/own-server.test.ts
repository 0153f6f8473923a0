import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startMariaDbServer, type MariaDbServer } from '@connmetrics/test-harness';
import { CONNECT, CREATED, ERROR_TYPE, FAILED, POOL_NAME, REUSED, TLS, pool, runMySQL2Fixture } from './support/fixtures';

// A MariaDB of the tests' own: the shared server runs without TLS, and its
// server-wide counters move with the other suites' connections.
let server: MariaDbServer;
beforeAll(async () => {
  server = await startMariaDbServer({ ssl: true });
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

const database = () => ({ host: server.host, port: server.port, user: server.user, database: server.database });

describe('TLS (MySQL’s in-protocol upgrade of the connected socket)', () => {
  test('a connection and a pool over TLS: created once each, TCP and the TLS handshake timed with tls.protocol.version', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ sslVersion: string }>('tls.js', 'tls', { database: database() });
    expect(values.sslVersion).toBe('TLSv1.3'); // the server's own view of the session
    const after = snapshots.after!;
    const name = `127.0.0.1:${server.port}/mysql`;
    const bare = { [POOL_NAME]: undefined };
    expect(after.sum(CREATED, bare)).toBe(1);
    expect(after.sum(REUSED, bare)).toBe(2);
    expect(after.sum(CREATED, pool(name))).toBe(1);
    expect(after.sum(REUSED, pool(name))).toBe(2);
    expect(after.count(CONNECT, bare)).toBe(1);
    expect(after.count(CONNECT, pool(name))).toBe(1);
    expect(after.count(TLS, { ...bare, 'tls.protocol.version': '1.3', 'tls.resumed': false, [ERROR_TYPE]: undefined })).toBe(1);
    expect(after.count(TLS, { ...pool(name), 'tls.protocol.version': '1.3', [ERROR_TYPE]: undefined })).toBe(1);
    expect(after.count(TLS)).toBe(2);
  });

  test('a certificate that does not verify: HANDSHAKE_SSL_ERROR, as mysql2 reports it (the same with and without the instrumentation)', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ error: { code: string; message: string } }>('tls.js', 'wrongCa', { database: database() });
    expect(values.error).toMatchObject({ code: 'HANDSHAKE_SSL_ERROR', message: 'self-signed certificate in certificate chain' });
    const after = snapshots.after!;
    expect(after.sum(FAILED, { [ERROR_TYPE]: 'HANDSHAKE_SSL_ERROR' })).toBe(1);
    expect(after.sum(FAILED)).toBe(1);
    expect(after.count(TLS, { [ERROR_TYPE]: 'HANDSHAKE_SSL_ERROR' })).toBe(1);
    expect(after.sum(CREATED)).toBe(0);
  });
});

describe('server-side ground truth on a server nobody else uses', () => {
  /** MariaDB's `Connections` status: every connection attempt the server accepted, the command-line client's own included. */
  async function connections(): Promise<number> {
    const { stdout } = await promisify(execFile)(process.env.MYSQL_CLIENT ?? 'mariadb', [
      '--batch', '--skip-column-names', '-h', server.host, '-P', String(server.port), '-u', server.user, '-e', "SHOW GLOBAL STATUS LIKE 'Connections'",
    ]);
    return Number(stdout.trim().split('\t')[1]);
  }

  test('connectionLimit 3, 30 queries at once: created 3 = the server’s Connections delta', async () => {
    const before = await connections(); // this CLI connection included
    const { snapshots, values } = await runMySQL2Fixture<{ ids: number; listed: number }>('pool.js', 'parallel', { database: database() });
    const after = await connections();
    // Between the two reads: the pool's connections, the fixture's one PROCESSLIST query, and the second read itself.
    expect(after - before - 2).toBe(3);
    expect(snapshots.after!.sum(CREATED, pool('parallel'))).toBe(after - before - 2);
    expect(snapshots.after!.sum(REUSED, pool('parallel'))).toBe(27);
    expect(values.ids).toBe(3);
  });
});
