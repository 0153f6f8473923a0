import fc from 'fast-check';
import { startHttpServer, type TestServer } from '@connmetrics/test-harness';
import * as undici from 'undici';
import { instrumented, nextTick } from './instrumented';

// Generated URLs with user info, passwords, paths, queries and fragments, in
// odd-case host spellings and IPv6: no attribute may carry any of it.
describe('attributes of generated URLs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startHttpServer({ host: '::' }); // dual stack: 127.0.0.1 and ::1
  });
  afterAll(async () => server.close());

  const secret = fc.stringMatching(/^[A-Za-z0-9]{6,12}$/).map((s) => `S3cr3t${s}`);
  const host = fc.constantFrom('127.0.0.1', 'localhost', 'LocalHost', '[::1]', 'LOCALHOST');

  test('no password, user, path, query or fragment reaches an attribute', async () => {
    await fc.assert(
      fc.asyncProperty(secret, secret, secret, secret, host, fc.boolean(), async (user, password, path, query, hostname, useFetch) => {
        const url = `http://${user}:${password}@${hostname}:${server.port}/${path}?token=${query}#${path}`;
        const subject = instrumented(); // one per run: each run's metrics on their own
        const pool = new undici.Pool(`http://${hostname}:${server.port}`);
        try {
          if (useFetch) {
            // fetch refuses URLs with credentials; the application sees the same TypeError either way.
            const refused = await undici.fetch(url, { dispatcher: pool }).then(
              () => undefined,
              (error: unknown) => error,
            );
            expect(refused).toBeInstanceOf(TypeError);
            await undici.fetch(`http://${hostname}:${server.port}/${path}?token=${query}`, { dispatcher: pool }).then((r) => r.text());
          } else {
            const response = await undici.request(url.replace(`${user}:${password}@`, ''), {
              dispatcher: pool,
              headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
            });
            await response.body.text();
          }
          await nextTick();
        } finally {
          await pool.close();
        }
        const snapshot = await subject.metrics.collect();
        await subject.stop();
        const values = snapshot.allAttributeSets().flatMap(({ attributes }) => Object.values(attributes).map(String));
        for (const value of values) {
          for (const forbidden of [user, password, path, query]) expect(value).not.toContain(forbidden);
        }
        // Each run made exactly one connection (a new Pool), recorded under the host it named.
        const expected = hostname === '[::1]' ? '::1' : hostname.toLowerCase();
        expect(snapshot.attributeSets('connmetrics.connection.created').map((a) => a['server.address'])).toEqual([expected]);
        expect(snapshot.sum('connmetrics.connection.created')).toBe(1);
        expect(snapshot.sum('connmetrics.connection.closed', { 'server.address': expected })).toBe(1);
        expect(values).toContain(expected); // the values searched above are this run's
      }),
      { numRuns: 40 },
    );
  });
});
