import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { CLOSED, CLOSE_REASON, certs, waitFor } from '@connmetrics/test-harness';
import * as undici from 'undici';
import { CREATED, OPEN, REUSED, TLS, instrumented } from './instrumented';

describe('undici 7 over HTTP/2', () => {
  let server: http2.Http2SecureServer;
  let sessions = 0;
  const open = new Set<http2.ServerHttp2Session>();
  let subject: ReturnType<typeof instrumented>;

  beforeAll(async () => {
    server = http2.createSecureServer({ cert: certs.serverCert, key: certs.serverKey, allowHTTP1: false }, (_request, response) => {
      setTimeout(() => response.end('ok'), 50);
    });
    server.on('session', (session) => {
      sessions += 1;
      open.add(session);
      session.on('close', () => open.delete(session));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => (subject = instrumented()));
  afterEach(async () => subject.stop());

  test('10 parallel requests are streams of one connection: 1 created, 9 reused, version 2', async () => {
    const { port } = server.address() as AddressInfo;
    const origin = `https://localhost:${port}`;
    const client = new undici.Client(origin, { allowH2: true, connect: { ca: certs.ca } });
    const bodies = await Promise.all(
      Array.from({ length: 10 }, async () => (await client.request({ path: '/', method: 'GET' })).body.text()),
    );
    expect(bodies).toEqual(Array(10).fill('ok'));
    const snapshot = await subject.metrics.collect();
    const attributes = { 'network.protocol.version': '2', 'server.address': 'localhost', 'server.port': port };
    expect(snapshot.sum(CREATED, attributes)).toBe(1);
    expect(snapshot.sum(REUSED, attributes)).toBe(9);
    expect(snapshot.count(TLS)).toBe(1);
    expect(snapshot.sum(OPEN, { ...attributes, 'http.connection.state': 'idle' })).toBe(1);
    expect(sessions).toBe(1);
    await client.close();
  });

  test('the server ends the session with GOAWAY: server_closed, no error.type', async () => {
    const { port } = server.address() as AddressInfo;
    const client = new undici.Client(`https://localhost:${port}`, { allowH2: true, connect: { ca: certs.ca } });
    try {
      expect(await (await client.request({ path: '/', method: 'GET' })).body.text()).toBe('ok');
      expect(open.size).toBe(1);
      for (const session of open) session.close(); // a graceful shutdown: GOAWAY, then the end of the session
      await waitFor(async () => (await subject.metrics.collect()).sum(CLOSED) === 1, 'the connection closed');
      const snapshot = await subject.metrics.collect();
      expect(snapshot.sum(CLOSED, { [CLOSE_REASON]: 'server_closed', 'error.type': undefined, 'network.protocol.version': '2' })).toBe(1);
    } finally {
      await client.close();
    }
  });
});
