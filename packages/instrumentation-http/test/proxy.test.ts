import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import { CLOSED, USES, certs, startConnectProxy, startHttpServer, waitFor, type ConnectProxy, type TestServer } from '@connmetrics/test-harness';
import { CONNECT, CREATED, REUSED, instrumented, parallel, sequential, settled, type Subject } from './instrumented';

type Options = http.ClientRequestArgs & tls.ConnectionOptions;
type Created = (error: Error | null, stream: Socket) => void;

/** An agent whose connections are CONNECT tunnels through a proxy (what https-proxy-agent and the like build). */
function tunnelling<A extends typeof http.Agent | typeof https.Agent>(Base: A, proxy: ConnectProxy, secure: boolean) {
  return class extends (Base as typeof http.Agent) {
    override createConnection(options: Options, created?: Created): undefined {
      const connect = http.request({ host: '127.0.0.1', port: proxy.port, method: 'CONNECT', path: `${options.host}:${options.port}`, agent: false });
      connect.once('connect', (_response, socket: Socket) => {
        created?.(null, secure ? tls.connect({ socket, servername: String(options.host), ca: certs.ca }) : socket);
      });
      connect.once('error', (error) => created?.(error, undefined as unknown as Socket));
      connect.end();
      return undefined;
    }
  };
}

// Through a CONNECT proxy, a tunnel is one connection to its target: the
// CONNECT request and its socket are not counted on their own.
describe('node:http through a CONNECT tunnel', () => {
  let subject: Subject;
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

  test.each([
    ['http', false],
    ['https', true],
  ])('%s target: 2 tunnels for 8 requests = 2 created, 6 reused, under the target’s address', async (_scheme, secure) => {
    server = await startHttpServer(secure ? { tls: true, delayMs: 30 } : { delayMs: 30 });
    const Agent = tunnelling(secure ? https.Agent : http.Agent, proxy, secure);
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    try {
      expect((await parallel(2, server.origin, { agent })).map((answer) => answer.body)).toEqual(['ok', 'ok']);
      await settled(agent);
      expect((await sequential(6, server.origin, { agent })).every((answer) => answer.body === 'ok')).toBe(true);
      await settled(agent);
      expect(proxy.tunnels).toBe(2);
      expect(server.requests).toBe(8);
      const snapshot = await subject.metrics.collect();
      const target = { 'server.address': secure ? 'localhost' : '127.0.0.1', 'server.port': server.port };
      expect(snapshot.sum(CREATED)).toBe(2);
      expect(snapshot.sum(CREATED, target)).toBe(2);
      expect(snapshot.sum(REUSED)).toBe(6);
      expect(snapshot.sum(REUSED, target)).toBe(6);
      expect(snapshot.count(CONNECT)).toBe(2); // the TCP connects of the tunnels (to the proxy), as the target connections' own
    } finally {
      agent.destroy();
    }
    await waitFor(async () => (await subject.metrics.collect()).sum(CLOSED) === 2, 'both tunnels closed');
    expect((await subject.metrics.collect()).histogramSum(USES)).toBe(8); // the CONNECT requests are no uses
  });
});
