import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { certs, startHttpServer, waitFor, type TestServer } from '@connmetrics/test-harness';
import {
  CONNECT,
  CREATED,
  DNS,
  LIFETIME,
  OPEN,
  REUSED,
  TLS,
  instrumented,
  sequential,
  server as serverAttributes,
  settled,
  type Subject,
} from './instrumented';

describe('node:https', () => {
  let server: TestServer;
  let subject: Subject;
  const agents: https.Agent[] = [];
  const agent = (options: https.AgentOptions) => {
    const created = new https.Agent({ ca: certs.ca, ...options });
    agents.push(created);
    return created;
  };

  beforeEach(() => {
    subject = instrumented();
  });
  afterEach(async () => {
    for (const created of agents.splice(0)) created.destroy();
    await subject.stop();
    await server?.close();
  });

  test('keep-alive to localhost, 10 requests: 1 created, 9 reused, one lookup and one handshake', async () => {
    server = await startHttpServer({ tls: true });
    const keepAlive = agent({ keepAlive: true });
    await sequential(10, server.origin, { agent: keepAlive });
    await settled(keepAlive);
    const snapshot = await subject.metrics.collect();
    const attributes = serverAttributes('localhost', server.port);
    expect(snapshot.sum(CREATED, attributes)).toBe(1);
    expect(snapshot.sum(REUSED, attributes)).toBe(9);
    expect(server.acceptedConnections).toBe(1);
    expect(snapshot.count(DNS, { ...attributes, 'dns.question.name': 'localhost' })).toBe(1);
    expect(snapshot.count(CONNECT, attributes)).toBe(1);
    expect(snapshot.count(TLS, { ...attributes, 'tls.protocol.version': '1.3', 'tls.resumed': false })).toBe(1);
    expect(snapshot.sum(OPEN, { ...attributes, 'http.connection.state': 'idle' })).toBe(1);
  });

  test('keepAlive: false to localhost, 6 requests: lookups and handshakes equal created connections; 5 resumed sessions', async () => {
    server = await startHttpServer({ tls: true });
    const closing = agent({ keepAlive: false });
    await sequential(6, server.origin, { agent: closing });
    await waitFor(async () => (await subject.metrics.collect()).count(LIFETIME) === 6, '6 connections closed');
    const snapshot = await subject.metrics.collect();
    const attributes = serverAttributes('localhost', server.port);
    expect(snapshot.sum(CREATED, attributes)).toBe(6);
    expect(snapshot.sum(REUSED)).toBe(0);
    expect(server.acceptedConnections).toBe(6);
    expect(snapshot.count(DNS, { ...attributes, 'dns.question.name': 'localhost' })).toBe(6);
    expect(snapshot.count(TLS, attributes)).toBe(6);
    // The agent caches the TLS session of its origin: every connection after the first resumes it.
    expect(snapshot.count(TLS, { 'tls.resumed': false })).toBe(1);
    expect(snapshot.count(TLS, { 'tls.resumed': true })).toBe(5);
    expect(snapshot.sum(OPEN)).toBe(0);
  });

  test('client certificates: 1 created, 9 reused on a server that requires them', async () => {
    server = await startHttpServer({ tls: true, requestClientCert: true });
    const withCertificate = agent({ keepAlive: true, cert: certs.clientCert, key: certs.clientKey });
    const answers = await sequential(10, server.origin, { agent: withCertificate });
    expect(answers.map((answer) => answer.status)).toEqual(new Array(10).fill(200));
    await settled(withCertificate);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED, serverAttributes('localhost', server.port))).toBe(1);
    expect(snapshot.sum(REUSED, serverAttributes('localhost', server.port))).toBe(9);
    expect(server.acceptedConnections).toBe(1);
    expect(snapshot.count(TLS, { 'tls.resumed': false })).toBe(1);
  });

  test('https.globalAgent with per-request TLS options: 1 created, 4 reused', async () => {
    server = await startHttpServer({ tls: true });
    try {
      await sequential(5, server.origin, { ca: certs.ca });
      const snapshot = await subject.metrics.collect();
      expect(snapshot.sum(CREATED, serverAttributes('localhost', server.port))).toBe(1);
      expect(snapshot.sum(REUSED, serverAttributes('localhost', server.port))).toBe(4);
    } finally {
      https.globalAgent.destroy();
    }
  });

  test('through an HTTP CONNECT proxy (TLS over a tunnel the agent builds): 1 created, 4 reused', async () => {
    server = await startHttpServer({ tls: true });
    const proxy = http.createServer();
    let tunnels = 0;
    proxy.on('connect', (request: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      tunnels += 1;
      const port = Number(new URL(`http://${request.url}`).port);
      const upstream = net.connect(port, '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client).on('error', () => upstream.destroy());
        client.pipe(upstream).on('error', () => client.destroy());
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyPort = (proxy.address() as net.AddressInfo).port;
    // What proxy agents (https-proxy-agent and the like) do: connect to the proxy, ask for a
    // tunnel, start TLS over it, and hand the agent the ready TLS socket, asynchronously.
    const tunnelling = agent({ keepAlive: true });
    type Callback = (error: Error | null, socket?: net.Socket) => void;
    Object.assign(tunnelling, {
      createConnection(options: tls.ConnectionOptions & { host: string; port: number }, callback: Callback) {
        const tunnel = net.connect(proxyPort, '127.0.0.1');
        tunnel.once('connect', () => tunnel.write(`CONNECT ${options.host}:${options.port} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\n\r\n`));
        tunnel.once('error', callback);
        let answer = '';
        const onData = (chunk: Buffer) => {
          answer += chunk.toString('latin1');
          if (!answer.includes('\r\n\r\n')) return;
          tunnel.removeListener('data', onData);
          const secure = tls.connect({ socket: tunnel, servername: options.host, ca: certs.ca });
          secure.once('secureConnect', () => callback(null, secure));
          secure.once('error', callback);
        };
        tunnel.on('data', onData);
        return undefined;
      },
    });
    try {
      await sequential(5, server.origin, { agent: tunnelling });
      await settled(tunnelling);
      const snapshot = await subject.metrics.collect();
      const attributes = serverAttributes('localhost', server.port);
      expect(tunnels).toBe(1);
      expect(server.acceptedConnections).toBe(1);
      expect(snapshot.sum(CREATED, attributes)).toBe(1);
      expect(snapshot.sum(REUSED, attributes)).toBe(4);
      expect(snapshot.count(CONNECT, attributes)).toBe(1); // the tunnel's TCP connect, to the proxy
      expect(snapshot.sum(OPEN, { ...attributes, 'http.connection.state': 'idle' })).toBe(1);
    } finally {
      tunnelling.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
