import { startHttpServer, timerFloorSeconds, waitFor, type TestServer } from '@connmetrics/test-harness';
import type * as undici7 from 'undici';
import { CLOSED, CLOSE_REASON } from '@connmetrics/test-harness';
import { CREATED, LIFETIME, OPEN, QUEUE, REUSED, CONNECT, DNS, TLS, instrumented, nextTick } from './instrumented';
import { UNDICI_VERSIONS } from './versions';

/** Recordings of a histogram point at or above `threshold` (a bucket boundary). */
function countAtLeast(value: unknown, threshold: number): number {
  const { buckets } = value as { buckets: { boundaries: number[]; counts: number[] } };
  return buckets.boundaries.reduce((sum, boundary, index) => (boundary >= threshold ? sum + buckets.counts[index + 1]! : sum), 0);
}

describe.each(UNDICI_VERSIONS)('%s', (_name, undici) => {
  let server: TestServer;
  let subject: ReturnType<typeof instrumented>;

  beforeEach(() => {
    subject = instrumented();
  });
  afterEach(async () => {
    await subject.stop();
    await server?.close();
  });

  async function get(dispatcher: undici7.Dispatcher, origin: string): Promise<void> {
    const response = await undici.request(origin, { dispatcher });
    await response.body.text();
  }

  test('20 sequential requests through a keep-alive Pool: 1 created, 19 reused', async () => {
    server = await startHttpServer();
    const pool = new undici.Pool(server.origin);
    for (let i = 0; i < 20; i += 1) {
      await get(pool, server.origin);
      await nextTick();
    }
    const snapshot = await subject.metrics.collect();
    const attributes = { 'network.protocol.name': 'http', 'server.address': '127.0.0.1', 'server.port': server.port };
    expect(snapshot.sum(CREATED, attributes)).toBe(1);
    expect(snapshot.sum(REUSED, attributes)).toBe(19);
    expect(snapshot.count(CONNECT)).toBe(1);
    expect(snapshot.count(DNS)).toBe(0); // an IP literal needs no lookup
    expect(snapshot.count(TLS)).toBe(0);
    // Only the first request waited (for its connection); the others were sent at once on the idle one.
    expect(snapshot.count(QUEUE)).toBe(1);
    expect(snapshot.sum(OPEN, { 'http.connection.state': 'idle', 'network.protocol.version': '1.1' })).toBe(1);
    expect(server.acceptedConnections).toBe(1);
    await pool.close();
  });

  test('back-to-back requests: the counts match the connections the server accepted', async () => {
    // undici's Pool frees a client one tick after its response ends, so a
    // request sent in the same tick opens another connection. The metrics
    // must say exactly what happened on the wire.
    server = await startHttpServer();
    const pool = new undici.Pool(server.origin);
    for (let i = 0; i < 20; i += 1) await get(pool, server.origin);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(server.acceptedConnections);
    expect(snapshot.sum(REUSED)).toBe(20 - server.acceptedConnections);
    await pool.close();
  });

  test('a server answering Connection: close: 20 created, 0 reused', async () => {
    server = await startHttpServer({ connectionClose: true });
    const pool = new undici.Pool(server.origin);
    for (let i = 0; i < 20; i += 1) await get(pool, server.origin);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(20);
    expect(snapshot.sum(REUSED)).toBe(0);
    expect(server.acceptedConnections).toBe(20);
    await waitFor(async () => (await subject.metrics.collect()).count(LIFETIME) === 20, '20 closed connections');
    expect((await subject.metrics.collect()).sum(CLOSED)).toBe(20);
    await pool.close();
  });

  test('10 parallel requests on a Pool of 4 connections: 4 created, 6 reused; open connections by state', async () => {
    server = await startHttpServer({ delayMs: 150 });
    const pool = new undici.Pool(server.origin, { connections: 4 });
    const all = Promise.all(Array.from({ length: 10 }, () => get(pool, server.origin)));
    await waitFor(() => server.requests === 4, 'four requests in flight');
    const during = await subject.metrics.collect();
    expect(during.sum(OPEN, { 'http.connection.state': 'active' })).toBe(4);
    expect(during.sum(OPEN, { 'http.connection.state': 'idle' })).toBe(0);
    await all;
    await nextTick();
    const after = await subject.metrics.collect();
    expect(after.sum(CREATED)).toBe(4);
    expect(after.sum(REUSED)).toBe(6);
    expect(after.sum(OPEN, { 'http.connection.state': 'active' })).toBe(0);
    expect(after.sum(OPEN, { 'http.connection.state': 'idle' })).toBe(4);
    // The 4 first waited for their connections. The 6 the Pool queued were created when a
    // freed connection took them, so undici shows no wait for a connection (the Pool's own
    // queue is not published): they record nothing.
    expect(after.count(QUEUE)).toBe(4);
    await pool.close();
    await waitFor(async () => (await subject.metrics.collect()).sum(OPEN) === 0, 'no open connections after close');
    expect((await subject.metrics.collect()).count(LIFETIME)).toBe(4);
  });

  test('5 parallel requests on one Client: 4 of them wait in its queue for the busy connection', async () => {
    // undici creates its request objects when a Client takes them, so the
    // time in queue is the Client's queue (and connection setup); the queue of
    // a Pool or Agent in front of its Clients is not published by undici.
    server = await startHttpServer({ delayMs: 100 });
    const client = new undici.Client(server.origin);
    await Promise.all(Array.from({ length: 5 }, () => get(client, server.origin)));
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(4);
    expect(snapshot.count(QUEUE)).toBe(5);
    // The k-th queued request waited for k responses of 100 ms each: 4 waits of at least 0.1 s,
    // 1 s in all. (The first waited for the connection's setup alone: short, but on a loaded
    // machine it may pass 0.1 s too, so the count is at least 4, not exactly.)
    expect(countAtLeast(snapshot.points(QUEUE)[0]!.value, 0.1)).toBeGreaterThanOrEqual(4);
    expect(snapshot.histogramSum(QUEUE)).toBeGreaterThanOrEqual(timerFloorSeconds(100) * (1 + 2 + 3 + 4));
    await client.close();
  });

  test('the server closes an idle connection: the next request is a created one, the lifetime is recorded', async () => {
    server = await startHttpServer();
    const pool = new undici.Pool(server.origin);
    await get(pool, server.origin);
    const before = await subject.metrics.collect();
    expect(before.count(LIFETIME)).toBe(0);
    server.destroyConnections();
    await waitFor(async () => (await subject.metrics.collect()).count(LIFETIME) === 1, 'the closed connection recorded');
    await get(pool, server.origin);
    const after = await subject.metrics.collect();
    expect(after.sum(CREATED)).toBe(2);
    expect(after.sum(REUSED)).toBe(0);
    expect(after.count(LIFETIME, { 'server.port': server.port, 'network.protocol.version': '1.1' })).toBe(1);
    // undici destroys its side with a SocketError ('other side closed') when the server hangs up
    // on an idle connection: an orderly close by the server, no error.type.
    expect(after.sum(CLOSED, { 'server.port': server.port, [CLOSE_REASON]: 'server_closed', 'error.type': undefined })).toBe(1);
    expect(after.sum(CLOSED)).toBe(1);
    expect(after.sum(OPEN, { 'http.connection.state': 'idle' })).toBe(1);
    await pool.close();
  });

  test('a Client over HTTPS to localhost: one lookup, one connect and one TLS handshake per created connection', async () => {
    server = await startHttpServer({ tls: true });
    const { certs } = await import('@connmetrics/test-harness');
    const client = new undici.Client(server.origin, { connect: { ca: certs.ca } });
    for (let i = 0; i < 5; i += 1) {
      await get(client, server.origin);
      await nextTick();
    }
    const snapshot = await subject.metrics.collect();
    const attributes = { 'server.address': 'localhost', 'server.port': server.port };
    expect(snapshot.sum(CREATED, attributes)).toBe(1);
    expect(snapshot.sum(REUSED, attributes)).toBe(4);
    expect(snapshot.count(DNS, { ...attributes, 'dns.question.name': 'localhost' })).toBe(1);
    expect(snapshot.count(CONNECT, attributes)).toBe(1);
    expect(snapshot.count(TLS, { ...attributes, 'tls.protocol.version': '1.3', 'tls.resumed': false })).toBe(1);
    await client.close();
  });
});
