import {
  CLOSED,
  CLOSE_REASON,
  CONNECT,
  CREATED,
  REUSED,
  USES,
  certs,
  startConnectProxy,
  startHttpServer,
  waitFor,
  type ConnectProxy,
  type TestServer,
} from '@connmetrics/test-harness';
import { QUEUE, instrumented, nextTick } from './instrumented';
import { UNDICI_VERSIONS } from './versions';

// Through a CONNECT proxy, a tunnel is one connection to its target: the
// socket to the proxy and (for HTTPS) the TLS socket inside the tunnel are one
// connection, and the CONNECT request is not a use.
describe.each(UNDICI_VERSIONS)('%s ProxyAgent through a CONNECT proxy', (_name, undici) => {
  let subject: ReturnType<typeof instrumented>;
  let proxy: ConnectProxy;
  let server: TestServer;
  beforeEach(async () => {
    subject = instrumented();
    proxy = await startConnectProxy();
  });
  afterEach(async () => {
    await subject.stop();
    await proxy.close();
    await server.close();
  });

  async function run(tls: boolean, connections: number, requests: number) {
    server = await startHttpServer(tls ? { tls: true, delayMs: 50 } : { delayMs: 50 });
    const agent = new undici.ProxyAgent({ uri: proxy.url, connections, proxyTunnel: true, requestTls: { ca: certs.ca } }) // undici 8 forwards http:// without a tunnel unless asked;
    try {
      // Two rounds of `connections` parallel requests, then sequential ones: tunnels are reused.
      for (let round = 0; round < 2; round += 1) {
        await Promise.all(
          Array.from({ length: connections }, async () => {
            const response = await undici.request(server.origin, { dispatcher: agent });
            expect(await response.body.text()).toBe('ok');
          }),
        );
        await nextTick();
      }
      for (let i = 2 * connections; i < requests; i += 1) {
        const response = await undici.request(server.origin, { dispatcher: agent });
        expect(await response.body.text()).toBe('ok');
        await nextTick();
      }
    } finally {
      await agent.close();
    }
    await waitFor(async () => (await subject.metrics.collect()).sum(CLOSED) === proxy.tunnels, 'every tunnel closed');
    return subject.metrics.collect();
  }

  test.each([
    ['http', false],
    ['https', true],
  ])('%s target: 2 tunnels for 8 requests = 2 created, 6 reused, under the target’s address', async (_scheme, tls) => {
    const snapshot = await run(tls, 2, 8);
    expect(proxy.tunnels).toBe(2);
    expect(proxy.acceptedConnections).toBe(2);
    expect(server.requests).toBe(8);
    const target = { 'server.address': tls ? 'localhost' : '127.0.0.1', 'server.port': server.port };
    expect(snapshot.sum(CREATED)).toBe(2);
    expect(snapshot.sum(CREATED, target)).toBe(2);
    expect(snapshot.sum(REUSED)).toBe(6);
    expect(snapshot.sum(REUSED, target)).toBe(6);
    expect(snapshot.sum(CLOSED, { ...target, [CLOSE_REASON]: 'client_closed' })).toBe(2);
    expect(snapshot.histogramSum(USES)).toBe(8); // the CONNECT requests are no uses
    // The only TCP connects are those to the proxy, one per tunnel, under the proxy's address.
    expect(snapshot.count(CONNECT, { 'server.port': proxy.port })).toBe(2);
    expect(snapshot.count(CONNECT)).toBe(2);
    expect(snapshot.count(QUEUE, target)).toBe(snapshot.count(QUEUE));
  });
});
