/*
 * Against a PostgreSQL server of the test's own: TLS (the shared server may
 * run with ssl = off) and password authentication (it trusts everyone);
 * with postgres.js 3 (patched) and postgres.js 4 (from its channels) alike.
 */
import { startPostgresServer, type PostgresServer, CONNECT, CREATED, DB_CREATE_TIME, FAILED, REUSED, TLS } from '@connmetrics/test-harness';
import { ERROR_TYPE, pool, runPostgresFixture } from './support/fixtures';

let server: PostgresServer;

beforeAll(async () => {
  server = await startPostgresServer({ ssl: true });
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

const credentials = () => ({ host: server.host, port: server.port, user: server.user, pass: server.password, database: server.database });

describe.each([
  ['postgres.js 3', 'postgres'],
  ['postgres.js 4', 'postgres4'],
])('%s', (_name, module) => {
  const env = { CONNMETRICS_POSTGRES_MODULE: module };

  test('ssl verified against the CA, max 2, 10 queries at once: created = the server\'s backends, reused = 10 − backends that ran one, every query over TLS', async () => {
    const { snapshots, values } = await runPostgresFixture<{ backends: number; queriedOn: number; serverSide: string[] }>('tls.js', 'pool', { database: credentials(), env });
    expect(values.serverSide).toEqual(['true TLSv1.3']);
    const after = snapshots.after!;
    // Created: every backend the server lists for the pool. postgres.js 4 may open the second one for
    // queries the first has served by the time it is ready: then it is created and not used (yet).
    expect(after.sum(CREATED, pool('tls'))).toBe(values.backends);
    // Reused: every query but the first on each backend that ran one.
    expect(after.sum(REUSED, pool('tls'))).toBe(10 - values.queriedOn);
    expect(after.count(CONNECT, pool('tls'))).toBe(values.backends);
    expect(after.count(DB_CREATE_TIME, pool('tls'))).toBe(values.backends);
    // postgres.js upgrades with tls.connect({ socket }), which Node does not announce and postgres.js does not expose.
    expect(after.count(TLS)).toBe(0);
    expect(after.sum(FAILED)).toBe(0);
    const attributes = JSON.stringify(after.allAttributeSets());
    expect(attributes).not.toContain(server.password);
    expect(attributes).not.toContain(server.user);
  });

  test('an untrusted server certificate: failed{error.type=<the TLS error code>}, and the application sees the same error', async () => {
    const { snapshots, values } = await runPostgresFixture<{ seen: { ok: boolean; error: { code: string } } }>('tls.js', 'bad-certificate', {
      database: credentials(),
      env,
    });
    expect(values.seen.ok).toBe(false);
    // The harness's server certificate is signed by its own test CA, which is not trusted here.
    expect(values.seen.error.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    expect(snapshots.after!.sum(FAILED, { [ERROR_TYPE]: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' })).toBe(1);
    expect(snapshots.after!.sum(FAILED)).toBe(1);
    expect(snapshots.after!.sum(CREATED)).toBe(0);
  });

  test('wrong password: failed{error.type=28P01}, and the application sees the same error', async () => {
    const { snapshots, values } = await runPostgresFixture<{ seen: unknown }>('failures.js', 'bad-password', {
      database: credentials(),
      env,
    });
    expect(values.seen).toEqual({
      ok: false,
      error: { name: 'PostgresError', code: '28P01', message: `password authentication failed for user "${server.user}"` },
    });
    expect(snapshots.after!.sum(FAILED, { [ERROR_TYPE]: '28P01' })).toBe(1);
    expect(snapshots.after!.sum(FAILED)).toBe(1);
    expect(JSON.stringify(snapshots.after!.allAttributeSets())).not.toContain('not-the-password');
  });
});
