import {
  CLOSED,
  CLOSE_REASON,
  CREATED,
  IDLE_TIME,
  REUSED,
  REUSE_FAILED,
  USES,
  sameWithAndWithout,
  startHttpServer,
  startKeepAliveServer,
  waitFor,
  type KeepAliveServer,
  type TestServer,
  timerFloorSeconds,
} from '@connmetrics/test-harness';
import { instrumented, nextTick } from './instrumented';
import { UNDICI_VERSIONS, countAtMost, type Undici } from './versions';

type Dispatcher = InstanceType<Undici['Pool']>;

// Why a connection was not reused (issue 16): close reasons, uses per
// connection, idle time before the close, and reuses that failed.
describe.each(UNDICI_VERSIONS)('%s: close reasons and reuse failures', (_name, undici) => {
  let subject: ReturnType<typeof instrumented>;
  let server: KeepAliveServer | TestServer | undefined;
  const closers: Array<{ close(): Promise<unknown> }> = [];
  beforeEach(() => (subject = instrumented()));
  afterEach(async () => {
    for (const closer of closers.splice(0)) await closer.close();
    await subject.stop();
    await server?.close();
    server = undefined;
  });
  const pool = (origin: string, options: ConstructorParameters<Undici['Pool']>[1] = {}) => {
    const created = new undici.Pool(origin, options);
    closers.push(created);
    return created;
  };
  const get = async (dispatcher: Dispatcher, origin: string, headers?: Record<string, string>) => {
    const response = await undici.request(origin, { dispatcher, headers });
    return response.body.text();
  };
  const closedWith = async (count: number) =>
    waitFor(async () => (await subject.metrics.collect()).sum(CLOSED) === count, `${count} closed connections recorded`);

  test('a server closing idle connections after 150 ms, requests after each close: N created, N−1 server_closed, idle_time ≥ 0.15 s each', async () => {
    // The server's idle clock starts once the client has read each response: the client's idle time is then ≥ 150 ms.
    const keepAlive = await startKeepAliveServer({ idleTimeoutMs: 150, idleClockStart: 'manual' });
    server = keepAlive;
    const client = pool(keepAlive.origin); // keepAliveTimeout 4 s: longer than the server's
    const N = 4;
    for (let i = 0; i < N; i += 1) {
      expect(await get(client, keepAlive.origin)).toBe('ok'); // undici released the connection before the body resolved
      if (i < N - 1) {
        keepAlive.startIdleTimers();
        await keepAlive.closed(i + 1); // the server's own idle close, not a sleep
        await closedWith(i + 1);
      }
    }
    const snapshot = await subject.metrics.collect();
    expect(keepAlive.acceptedConnections).toBe(N);
    expect(keepAlive.idleCloses).toBe(N - 1);
    expect(snapshot.sum(CREATED)).toBe(N);
    expect(snapshot.sum(REUSED)).toBe(0);
    expect(snapshot.sum(CLOSED, { [CLOSE_REASON]: 'server_closed', 'error.type': undefined })).toBe(N - 1);
    expect(snapshot.sum(CLOSED)).toBe(N - 1);
    expect(snapshot.count(IDLE_TIME, { [CLOSE_REASON]: 'server_closed' })).toBe(N - 1);
    // Every value at least the server's 150 ms: none in the buckets up to 0.1 s, the smallest ≥ 0.15 s.
    const idle = snapshot.points(IDLE_TIME)[0]!.value as { min: number };
    expect(countAtMost(idle, 0.1)).toBe(0);
    expect(idle.min).toBeGreaterThanOrEqual(timerFloorSeconds(150));
    expect(snapshot.count(USES)).toBe(N - 1);
    expect(countAtMost(snapshot.points(USES)[0]!.value, 1)).toBe(N - 1);
  });

  test('a server that destroys a kept-alive connection at its next request: reuse_failed 1, with the error the application saw', async () => {
    const dropping = await startKeepAliveServer({ dropSecondRequests: 1 });
    server = dropping;
    const client = pool(dropping.origin);
    expect(await get(client, dropping.origin)).toBe('ok');
    await nextTick(); // the Pool frees the connection a tick after the response
    const seen = await get(client, dropping.origin).then(
      () => undefined,
      (error: { code?: string }) => error.code,
    );
    await closedWith(1);
    const snapshot = await subject.metrics.collect();
    expect(dropping.drops).toBe(1);
    expect(seen).toBe('UND_ERR_SOCKET');
    expect(snapshot.sum(REUSE_FAILED)).toBe(1);
    expect(snapshot.sum(REUSE_FAILED, { 'error.type': seen, 'server.port': dropping.port })).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(1); // the failed use was a reuse
    expect(snapshot.sum(CLOSED, { [CLOSE_REASON]: 'error', 'error.type': 'UND_ERR_SOCKET' })).toBe(1);
    expect(snapshot.count(IDLE_TIME)).toBe(0); // it closed during a use
  });

  test('the same failure on a connection\'s first request is no reuse failure', async () => {
    const dropping = await startKeepAliveServer({ dropSecondRequests: 1 });
    server = dropping;
    // Two requests pipelined on one connection would be its 1st and 2nd; one Client per request keeps each first.
    const client = new undici.Pool(dropping.origin);
    expect(await get(client, dropping.origin)).toBe('ok');
    await client.close();
    await closedWith(1);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(REUSE_FAILED)).toBe(0);
    expect(snapshot.sum(CLOSED, { [CLOSE_REASON]: 'client_closed', 'error.type': undefined })).toBe(1);
  });

  test('a Client per request, closed after it: uses all in bucket 1, every close client_closed', async () => {
    const http = await startHttpServer();
    server = http;
    for (let i = 0; i < 5; i += 1) {
      const client = new undici.Client(http.origin);
      const response = await client.request({ path: '/', method: 'GET' });
      await response.body.text();
      await client.close();
    }
    await closedWith(5);
    const snapshot = await subject.metrics.collect();
    expect(http.acceptedConnections).toBe(5);
    expect(snapshot.sum(CREATED)).toBe(5);
    expect(snapshot.sum(CLOSED, { [CLOSE_REASON]: 'client_closed', 'error.type': undefined })).toBe(5);
    expect(snapshot.count(USES)).toBe(5);
    expect(countAtMost(snapshot.points(USES)[0]!.value, 1)).toBe(5);
    expect(snapshot.histogramSum(USES)).toBe(5);
  });

  test('undici\'s own keep-alive timeout: idle_timeout, no error.type', async () => {
    const keepAlive = await startKeepAliveServer(); // sends no Keep-Alive hint, never closes
    server = keepAlive;
    const client = pool(keepAlive.origin, { keepAliveTimeout: 100 });
    expect(await get(client, keepAlive.origin)).toBe('ok');
    await keepAlive.closed(1);
    await closedWith(1);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CLOSED, { [CLOSE_REASON]: 'idle_timeout', 'error.type': undefined })).toBe(1);
    expect(snapshot.count(IDLE_TIME, { [CLOSE_REASON]: 'idle_timeout' })).toBe(1);
    expect(countAtMost(snapshot.points(IDLE_TIME)[0]!.value, 0.05)).toBe(0);
  });

  test('the server answers Connection: close: server_closed; the client sends it: client_closed', async () => {
    const closing = await startHttpServer({ connectionClose: true });
    const keeping = await startHttpServer();
    closers.push(closing, keeping);
    for (let i = 0; i < 3; i += 1) expect(await get(pool(closing.origin), closing.origin)).toBe('ok');
    const client = pool(keeping.origin);
    for (let i = 0; i < 2; i += 1) expect(await get(client, keeping.origin, { connection: 'close' })).toBe('ok');
    await closedWith(5);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CLOSED, { 'server.port': closing.port, [CLOSE_REASON]: 'server_closed', 'error.type': undefined })).toBe(3);
    expect(snapshot.sum(CLOSED, { 'server.port': keeping.port, [CLOSE_REASON]: 'client_closed', 'error.type': undefined })).toBe(2);
    expect(keeping.acceptedConnections).toBe(2);
  });

  test('maxRequestsPerClient 2: the connection undici closes after its last allowed request is client_closed', async () => {
    const http = await startHttpServer();
    server = http;
    // undici 6 and 7 count from 0 (a third request still fits), undici 8 from 1.
    const perConnection = _name === 'undici 8' ? 2 : 3;
    const client = pool(http.origin, { maxRequestsPerClient: 2 });
    for (let i = 0; i < perConnection; i += 1) {
      expect(await get(client, http.origin)).toBe('ok');
      await nextTick();
    }
    await closedWith(1);
    const snapshot = await subject.metrics.collect();
    expect(http.acceptedConnections).toBe(1);
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(CLOSED, { [CLOSE_REASON]: 'client_closed', 'error.type': undefined })).toBe(1);
    expect(snapshot.histogramSum(USES)).toBe(perConnection);
  });

  test('the application sees the same failed reuse with and without the instrumentation', async () => {
    const dropping = await startKeepAliveServer({ dropSecondRequests: 2 });
    server = dropping;
    const seen = await sameWithAndWithout(subject.instrumentation, async () => {
      const client = new undici.Pool(dropping.origin);
      try {
        await get(client, dropping.origin);
        await nextTick();
        return await get(client, dropping.origin).then(
          () => 'no error',
          (error: Error & { code?: string }) => ({ name: error.name, code: error.code, message: error.message }),
        );
      } finally {
        await client.close();
      }
    });
    expect(seen).toEqual({ name: 'SocketError', code: 'UND_ERR_SOCKET', message: 'other side closed' });
    expect((await subject.metrics.collect()).sum(REUSE_FAILED, { 'error.type': 'UND_ERR_SOCKET' })).toBe(1);
  });
});
