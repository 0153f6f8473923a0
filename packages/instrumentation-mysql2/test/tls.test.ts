import { startMariaDbServer, type MariaDbServer } from '@connmetrics/test-harness';
import { CONNECT, CREATED, ERROR_TYPE, FAILED, POOL_NAME, REUSED, TLS, pool, runMySQL2Fixture } from './support/fixtures';

// The shared server runs without TLS: these tests start a MariaDB of their own that serves it.
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
