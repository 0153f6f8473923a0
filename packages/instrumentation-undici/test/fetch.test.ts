import { join } from 'node:path';
import { certs, runFixture, startHttpServer, type TestServer } from '@connmetrics/test-harness';

// Node's global fetch trusts only NODE_EXTRA_CA_CERTS (read at start-up), so
// these run in a real child process; the instrumentation records there.
const fixture = join(__dirname, 'fixtures', 'fetch-client.js');
const env = { NODE_EXTRA_CA_CERTS: join(certs.dir, 'ca.crt') };

interface FetchResult {
  created: number;
  reused: number;
  dnsLookups: number;
  tcpConnects: number;
  tlsHandshakes: number;
  tlsResumed: number;
  tlsVersions: string[];
  dnsNames: string[];
}

describe.each(['global', 'undici'])('%s fetch to an HTTPS server on localhost', (which) => {
  let server: TestServer;
  afterEach(async () => server?.close());

  test('20 sequential requests: 1 created, 19 reused, one lookup and one handshake', async () => {
    server = await startHttpServer({ tls: true });
    const run = await runFixture<FetchResult>(fixture, { args: [which, `${server.origin}/`, '20'], env });
    expect(run.stderr).toBe('');
    expect(run.result).toEqual({
      created: 1,
      reused: 19,
      dnsLookups: 1,
      tcpConnects: 1,
      tlsHandshakes: 1,
      tlsResumed: 0,
      tlsVersions: ['1.3'],
      dnsNames: ['localhost'],
    });
    expect(server.acceptedConnections).toBe(1);
  });

  test('a server closing every connection: each later connection resumes the cached TLS session', async () => {
    server = await startHttpServer({ tls: true, connectionClose: true });
    const run = await runFixture<FetchResult>(fixture, { args: [which, `${server.origin}/`, '5'], env });
    expect(run.stderr).toBe('');
    expect(run.result).toMatchObject({ created: 5, reused: 0, dnsLookups: 5, tlsHandshakes: 5 });
    expect(server.acceptedConnections).toBe(5);
    // Which connections resume depends on when TLS 1.3 tickets arrive before each
    // close; the client's count must match the server's, and at least one resumes.
    expect(run.result!.tlsResumed).toBe(server.resumedTlsSessions);
    expect(run.result!.tlsResumed).toBeGreaterThanOrEqual(1);
  });
});
