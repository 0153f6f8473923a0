import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { certs } from '@connmetrics/test-harness';
import * as undici from 'undici';
import { CREATED, OPEN, REUSED, TLS, instrumented } from './instrumented';

describe('undici 7 over HTTP/2', () => {
  let server: http2.Http2SecureServer;
  let sessions = 0;
  let subject: ReturnType<typeof instrumented>;

  beforeAll(async () => {
    server = http2.createSecureServer({ cert: certs.serverCert, key: certs.serverKey, allowHTTP1: false }, (_request, response) => {
      setTimeout(() => response.end('ok'), 50);
    });
    server.on('session', () => (sessions += 1));
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
});
