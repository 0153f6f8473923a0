import * as http from 'node:http';
import * as net from 'node:net';
import { startHttpServer, waitFor, type TestServer } from '@connmetrics/test-harness';
import {
  CONNECT,
  CREATED,
  DNS,
  LIFETIME,
  OPEN,
  QUEUE,
  REUSED,
  TLS,
  countAtMost,
  get,
  instrumented,
  parallel,
  pooled,
  sequential,
  settled,
  server as serverAttributes,
  type Subject,
} from './instrumented';

describe('node:http connection reuse', () => {
  let server: TestServer;
  let subject: Subject;
  const agents: http.Agent[] = [];
  const agent = (options: http.AgentOptions) => {
    const created = new http.Agent(options);
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

  test('a keep-alive agent, 20 sequential requests: 1 created, 19 reused', async () => {
    server = await startHttpServer();
    const keepAlive = agent({ keepAlive: true });
    const answers = await sequential(20, server.origin, { agent: keepAlive });
    expect(answers.every((answer) => answer.body === 'ok')).toBe(true);
    await settled(keepAlive);
    const snapshot = await subject.metrics.collect();
    const attributes = { ...serverAttributes('127.0.0.1', server.port), 'network.protocol.version': '1.1' };
    expect(snapshot.sum(CREATED, attributes)).toBe(1);
    expect(snapshot.sum(REUSED, attributes)).toBe(19);
    expect(server.acceptedConnections).toBe(1);
    expect(snapshot.count(CONNECT, serverAttributes('127.0.0.1', server.port))).toBe(1);
    expect(snapshot.count(DNS)).toBe(0); // an IP literal needs no lookup
    expect(snapshot.count(TLS)).toBe(0);
    // Only the first request waited for a connection (its creation); the 19 others were handed the idle one.
    expect(snapshot.count(QUEUE, attributes)).toBe(1);
    expect(snapshot.sum(OPEN, { ...attributes, 'http.connection.state': 'idle' })).toBe(1);
    expect(snapshot.sum(OPEN, { 'http.connection.state': 'active' })).toBe(0);
  });

  test('keepAlive: false, 20 sequential requests: 20 created, 0 reused, 20 lifetimes', async () => {
    server = await startHttpServer();
    const closing = agent({ keepAlive: false });
    await sequential(20, server.origin, { agent: closing });
    await waitFor(async () => (await subject.metrics.collect()).count(LIFETIME) === 20, '20 connections closed');
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(20);
    expect(snapshot.sum(REUSED)).toBe(0);
    expect(server.acceptedConnections).toBe(20);
    expect(snapshot.count(CONNECT)).toBe(20);
    expect(snapshot.count(LIFETIME, { 'error.type': undefined })).toBe(20); // all closed cleanly: no error.type
    expect(snapshot.sum(OPEN)).toBe(0);
  });

  test('maxSockets 2, 10 parallel requests: 2 created, 8 reused, though Node says reusedSocket=false for the queued ones', async () => {
    server = await startHttpServer({ delayMs: 100 });
    const limited = agent({ keepAlive: true, maxSockets: 2 });
    const answers = await parallel(10, server.origin, { agent: limited });
    await settled(limited);
    const snapshot = await subject.metrics.collect();
    expect(server.acceptedConnections).toBe(2);
    expect(snapshot.sum(CREATED)).toBe(2);
    expect(snapshot.sum(REUSED)).toBe(8);
    // Node's own flag misses every one of them: the queued requests were handed freed sockets.
    expect(answers.filter((answer) => answer.reusedSocket)).toHaveLength(0);
    // 2 waited for a new connection, 8 in the agent's queue for a freed one: at least the server's 100 ms.
    expect(snapshot.count(QUEUE)).toBe(10);
    expect(10 - countAtMost(snapshot.points(QUEUE)[0]!.value, 0.05)).toBeGreaterThanOrEqual(8);
    expect(snapshot.sum(OPEN, { 'http.connection.state': 'idle' })).toBe(2);
  });

  test('a request queued in the response handler of the one busy connection (maxSockets 1): it does not wait for a connection, time_in_queue records only the first', async () => {
    server = await startHttpServer();
    const single = agent({ keepAlive: true, maxSockets: 1 });
    // Node frees a socket a tick after its response ends: a request made in the 'end' handler is
    // queued by the agent for that tick, though no connection is lacking.
    const chained = (left: number): Promise<void> =>
      new Promise((resolve, reject) => {
        http
          .get(server.origin, { agent: single }, (response) => {
            response.resume();
            response.on('end', () => resolve(left > 1 ? chained(left - 1) : undefined));
          })
          .on('error', reject);
      });
    await chained(5);
    await settled(single);
    const snapshot = await subject.metrics.collect();
    expect(server.acceptedConnections).toBe(1);
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(4);
    expect(snapshot.count(QUEUE)).toBe(1);
  });

  test('keepAlive: false with maxSockets 2: queued requests still reuse the freed sockets (2 created, 8 reused)', async () => {
    server = await startHttpServer({ delayMs: 20 });
    const limited = agent({ keepAlive: false, maxSockets: 2 });
    await parallel(10, server.origin, { agent: limited });
    await waitFor(async () => (await subject.metrics.collect()).count(LIFETIME) === 2, '2 connections closed');
    const snapshot = await subject.metrics.collect();
    expect(server.acceptedConnections).toBe(2);
    expect(snapshot.sum(CREATED)).toBe(2);
    expect(snapshot.sum(REUSED)).toBe(8);
    expect(snapshot.sum(OPEN)).toBe(0);
  });

  test('http.globalAgent (keep-alive by default): 1 created, 9 reused', async () => {
    server = await startHttpServer();
    expect((http.globalAgent as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
    try {
      await sequential(10, server.origin);
      const snapshot = await subject.metrics.collect();
      expect(snapshot.sum(CREATED, serverAttributes('127.0.0.1', server.port))).toBe(1);
      expect(snapshot.sum(REUSED, serverAttributes('127.0.0.1', server.port))).toBe(9);
      expect(server.acceptedConnections).toBe(1);
    } finally {
      http.globalAgent.destroy();
    }
  });

  test('agent: false (a new agent per request): 5 created, 0 reused', async () => {
    server = await startHttpServer();
    await sequential(5, server.origin, { agent: false });
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED, serverAttributes('127.0.0.1', server.port))).toBe(5);
    expect(snapshot.sum(REUSED)).toBe(0);
  });

  test('no agent (createConnection): the port comes from the Host header; 3 created', async () => {
    server = await startHttpServer();
    for (let i = 0; i < 3; i += 1) {
      await get(`http://localhost:${server.port}/`, { createConnection: () => net.connect(server.port, '127.0.0.1') });
    }
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED, serverAttributes('localhost', server.port))).toBe(3);
    expect(snapshot.sum(REUSED)).toBe(0);
    expect(snapshot.count(CONNECT, serverAttributes('localhost', server.port))).toBe(3);
  });

  test('two origins on one agent: each counted under its own server.address and server.port', async () => {
    server = await startHttpServer();
    const other = await startHttpServer();
    try {
      const shared = agent({ keepAlive: true });
      for (let i = 0; i < 4; i += 1) {
        await get(server.origin, { agent: shared });
        await get(`http://localhost:${other.port}/`, { agent: shared });
      }
      await settled(shared);
      const snapshot = await subject.metrics.collect();
      expect(snapshot.sum(CREATED, serverAttributes('127.0.0.1', server.port))).toBe(1);
      expect(snapshot.sum(REUSED, serverAttributes('127.0.0.1', server.port))).toBe(3);
      expect(snapshot.sum(CREATED, serverAttributes('localhost', other.port))).toBe(1);
      expect(snapshot.sum(REUSED, serverAttributes('localhost', other.port))).toBe(3);
      expect(snapshot.count(DNS, { 'dns.question.name': 'localhost' })).toBe(1);
      expect(snapshot.sum(OPEN, { 'http.connection.state': 'idle' })).toBe(2);
    } finally {
      await other.close();
    }
  });

  test('open connections: active while requests are in flight, idle after, none once the agent is destroyed', async () => {
    server = await startHttpServer({ delayMs: 400 });
    const limited = agent({ keepAlive: true, maxSockets: 3 });
    const inFlight = parallel(5, server.origin, { agent: limited });
    await waitFor(async () => (await subject.metrics.collect()).sum(CREATED) === 3, '3 connections ready');
    let snapshot = await subject.metrics.collect();
    expect(snapshot.sum(OPEN, { 'http.connection.state': 'active' })).toBe(3);
    expect(snapshot.sum(OPEN, { 'http.connection.state': 'idle' })).toBe(0);
    expect(pooled(limited)).toEqual({ active: 3, idle: 0 });
    await inFlight;
    await settled(limited);
    snapshot = await subject.metrics.collect();
    expect(snapshot.sum(OPEN, { 'http.connection.state': 'active' })).toBe(0);
    expect(snapshot.sum(OPEN, { 'http.connection.state': 'idle' })).toBe(3);
    limited.destroy();
    await waitFor(async () => (await subject.metrics.collect()).count(LIFETIME) === 3, '3 connections closed');
    snapshot = await subject.metrics.collect();
    expect(snapshot.sum(OPEN)).toBe(0);
    expect(snapshot.sum(CREATED)).toBe(3);
    expect(snapshot.sum(REUSED)).toBe(2);
  });

  test('an idle connection closed by the server: the next request opens a new one (2 created, 0 reused)', async () => {
    server = await startHttpServer();
    const keepAlive = agent({ keepAlive: true });
    await get(server.origin, { agent: keepAlive });
    await settled(keepAlive);
    server.destroyConnections();
    await waitFor(async () => (await subject.metrics.collect()).count(LIFETIME) === 1, 'the idle connection closed');
    expect((await subject.metrics.collect()).sum(OPEN)).toBe(0);
    await get(server.origin, { agent: keepAlive });
    await settled(keepAlive);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(2);
    expect(snapshot.sum(REUSED)).toBe(0);
    expect(snapshot.count(LIFETIME, { 'error.type': undefined })).toBe(1); // a clean close: no error.type
    expect(snapshot.sum(OPEN, { 'http.connection.state': 'idle' })).toBe(1);
  });
});
