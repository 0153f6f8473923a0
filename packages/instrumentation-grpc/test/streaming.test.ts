import { waitFor } from '@connmetrics/test-harness';
import { bidi, clientStream, echoClient, serverStream, startEchoServer, unary } from './fixtures/echo-service';
import { CREATED, LIFETIME, REUSED, gaugeSettles, grpcConnection, instrumented, openConnections } from './instrumented';

type EchoServer = Awaited<ReturnType<typeof startEchoServer>>;

describe('streaming and parallel calls on one grpc-js channel', () => {
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

  test('each streaming call is one use, however many messages it carries', async () => {
    const client = echoClient(`127.0.0.1:${server.port}`);
    expect(await serverStream(client, { count: 25 })).toHaveLength(25);
    expect((await clientStream(client, 30)).index).toBe(30);
    expect(await bidi(client, 12)).toHaveLength(12);
    await unary(client);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED, grpcConnection(server.port))).toBe(1);
    expect(snapshot.sum(REUSED, grpcConnection(server.port))).toBe(3);
    expect(server.calls).toBe(4);
    client.close();
  });

  test('8 parallel calls: one connection, created 1, reused 7, active while they run', async () => {
    const client = echoClient(`127.0.0.1:${server.port}`);
    await unary(client); // connect first, so that the parallel calls share a ready session
    const release = server.hold('held'); // the 8 calls stay in flight until released
    const calls = Array.from({ length: 8 }, () => unary(client, { text: 'held' }));
    await waitFor(() => server.calls === 9, 'all 8 calls reached the server');
    const during = await subject.metrics.collect();
    expect(openConnections(during, grpcConnection(server.port))).toEqual({ active: 1, idle: 0 });
    release();
    await Promise.all(calls);
    await gaugeSettles(subject.metrics, { active: 0, idle: 1 }, grpcConnection(server.port));
    const after = await subject.metrics.collect();
    expect(after.sum(CREATED)).toBe(1);
    expect(after.sum(REUSED)).toBe(8);
    expect(openConnections(after, grpcConnection(server.port))).toEqual({ active: 0, idle: 1 });
    expect(server.peers.size).toBe(1);
    client.close();
  });

  test('8 parallel calls on a channel that has not connected yet: created 1, reused 7', async () => {
    const client = echoClient(`127.0.0.1:${server.port}`);
    await Promise.all(Array.from({ length: 8 }, () => unary(client)));
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(7);
    expect(server.peers.size).toBe(1);
    client.close();
  });

  test('a long server stream keeps its connection active; closing the client ends it', async () => {
    const client = echoClient(`127.0.0.1:${server.port}`);
    const release = server.hold('stream'); // the stream answers once released
    const stream = serverStream(client, { count: 3 });
    await waitFor(() => server.calls === 1, 'the stream reached the server');
    expect(openConnections(await subject.metrics.collect())).toEqual({ active: 1, idle: 0 });
    await unary(client); // a second call beside the stream: same connection, reused
    expect(openConnections(await subject.metrics.collect())).toEqual({ active: 1, idle: 0 });
    release();
    expect(await stream).toHaveLength(3);
    await gaugeSettles(subject.metrics, { active: 0, idle: 1 });
    client.close();
    await waitFor(async () => (await subject.metrics.collect()).count(LIFETIME) === 1, 'the session closed');
    const snapshot = await subject.metrics.collect();
    expect(openConnections(snapshot)).toEqual({ active: 0, idle: 0 });
    expect(snapshot.count(LIFETIME, grpcConnection(server.port))).toBe(1);
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(1);
  });
});
