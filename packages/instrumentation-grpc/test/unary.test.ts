import { echoClient, startEchoServer, unary } from './fixtures/echo-service';
import { CONNECT, CREATED, FAILED, REUSED, gaugeSettles, grpcConnection, instrumented } from './instrumented';

type EchoServer = Awaited<ReturnType<typeof startEchoServer>>;

describe('unary calls over a plaintext grpc-js channel', () => {
  let subject: ReturnType<typeof instrumented>;
  let server: EchoServer;
  beforeEach(async () => {
    subject = instrumented();
    server = await startEchoServer();
  });
  afterEach(async () => {
    await subject.stop();
    server.stop();
  });

  test('one channel, 20 sequential calls: created 1, reused 19', async () => {
    const client = echoClient(`127.0.0.1:${server.port}`);
    for (let i = 0; i < 20; i += 1) await unary(client);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.attributeSets(CREATED)).toEqual([grpcConnection(server.port)]);
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.attributeSets(REUSED)).toEqual([grpcConnection(server.port)]);
    expect(snapshot.sum(REUSED)).toBe(19);
    expect(snapshot.sum(FAILED)).toBe(0);
    await gaugeSettles(subject.metrics, { active: 0, idle: 1 }, grpcConnection(server.port));
    // The TCP connect of the session's socket, through the shared socket timing.
    expect(snapshot.count(CONNECT, grpcConnection(server.port))).toBe(1);
    expect(server.calls).toBe(20);
    expect(server.peers.size).toBe(1);
    client.close();
  });

  test('a new client per call, closed after it: created 10, reused 0', async () => {
    for (let i = 0; i < 10; i += 1) {
      const client = echoClient(`127.0.0.1:${server.port}`);
      await unary(client);
      client.close();
    }
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED, grpcConnection(server.port))).toBe(10);
    expect(snapshot.sum(REUSED)).toBe(0);
    expect(snapshot.count(CONNECT)).toBe(10);
    expect(server.peers.size).toBe(10);
  });

  test('new clients never closed share one connection through grpc-js\'s global subchannel pool', async () => {
    const clients = [];
    for (let i = 0; i < 10; i += 1) {
      const client = echoClient(`127.0.0.1:${server.port}`);
      clients.push(client);
      await unary(client);
    }
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(9);
    expect(server.peers.size).toBe(1);
    for (const client of clients) client.close();
  });

  test('a client with its own subchannel pool per channel: one connection per client', async () => {
    const clients = [];
    for (let i = 0; i < 4; i += 1) {
      const client = echoClient(`127.0.0.1:${server.port}`, { options: { 'grpc.use_local_subchannel_pool': 1 } });
      clients.push(client);
      await unary(client);
      await unary(client);
    }
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(4);
    expect(snapshot.sum(REUSED)).toBe(4);
    await gaugeSettles(subject.metrics, { active: 0, idle: 4 });
    expect(server.peers.size).toBe(4);
    for (const client of clients) client.close();
  });
});
