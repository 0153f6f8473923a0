import * as http from 'node:http';
import {
  CLOSE_REASON,
  IDLE_TIME,
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
import { CLOSED, CREATED, LIFETIME, REUSED, countAtMost, get, instrumented, sequential, settled, type Subject } from './instrumented';

// Why a connection was not reused (issue 16): close reasons, uses per
// connection, idle time before the close, and reuses that failed.
describe('node:http close reasons and reuse failures', () => {
  let subject: Subject;
  let server: KeepAliveServer | TestServer | undefined;
  const agents: http.Agent[] = [];
  const agent = (options: http.AgentOptions) => {
    const created = new http.Agent(options);
    agents.push(created);
    return created;
  };
  beforeEach(() => (subject = instrumented()));
  afterEach(async () => {
    for (const created of agents.splice(0)) created.destroy();
    await subject.stop();
    await server?.close();
    server = undefined;
  });
  const closedWith = (count: number) =>
    waitFor(async () => (await subject.metrics.collect()).sum(CLOSED) === count, `${count} closed connections recorded`);

  test('a server closing idle connections after 150 ms, requests after each close: N created, N−1 server_closed, idle_time ≥ 0.15 s each', async () => {
    // The server's idle clock starts once the client has read each response: the client's idle time is then ≥ 150 ms.
    const keepAlive = await startKeepAliveServer({ idleTimeoutMs: 150, idleClockStart: 'manual' });
    server = keepAlive;
    const client = agent({ keepAlive: true }); // no timeout of its own: it would keep them forever
    const N = 4;
    for (let i = 0; i < N; i += 1) {
      expect((await get(keepAlive.origin, { agent: client })).body).toBe('ok');
      if (i < N - 1) {
        await settled(client); // the agent freed the connection: its idle time runs from here
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
    const client = agent({ keepAlive: true });
    expect((await get(dropping.origin, { agent: client })).body).toBe('ok');
    await settled(client);
    const seen = await get(dropping.origin, { agent: client }).then(
      () => undefined,
      (error: { code?: string; message?: string }) => [error.code, error.message],
    );
    await closedWith(1);
    const snapshot = await subject.metrics.collect();
    expect(dropping.drops).toBe(1);
    expect(seen).toEqual(['ECONNRESET', 'socket hang up']);
    expect(snapshot.sum(REUSE_FAILED)).toBe(1);
    expect(snapshot.sum(REUSE_FAILED, { 'error.type': 'ECONNRESET', 'server.port': dropping.port })).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(1);
    expect(snapshot.sum(CLOSED, { [CLOSE_REASON]: 'error', 'error.type': 'ECONNRESET' })).toBe(1);
    expect(snapshot.count(IDLE_TIME)).toBe(0); // it closed during a use
  });

  test('the application sees the same failed reuse with and without the instrumentation', async () => {
    const dropping = await startKeepAliveServer({ dropSecondRequests: 2 });
    server = dropping;
    const seen = await sameWithAndWithout(subject.instrumentation, async () => {
      const client = new http.Agent({ keepAlive: true });
      try {
        await get(dropping.origin, { agent: client });
        await settled(client);
        return await get(dropping.origin, { agent: client }).then(
          () => 'no error',
          (error: Error & { code?: string }) => ({ name: error.name, code: error.code, message: error.message }),
        );
      } finally {
        client.destroy();
      }
    });
    expect(seen).toEqual({ name: 'Error', code: 'ECONNRESET', message: 'socket hang up' });
    expect((await subject.metrics.collect()).sum(REUSE_FAILED, { 'error.type': 'ECONNRESET' })).toBe(1);
  });

  test.each([
    ['keepAlive: false', () => ({ agent: agent({ keepAlive: false }) })],
    ['agent: false (an agent per request)', () => ({ agent: false as const })],
  ])('%s: uses all in bucket 1, every close client_closed', async (_name, options) => {
    const plain = await startHttpServer();
    server = plain;
    for (let i = 0; i < 5; i += 1) expect((await get(plain.origin, options())).body).toBe('ok');
    await closedWith(5);
    const snapshot = await subject.metrics.collect();
    expect(plain.acceptedConnections).toBe(5);
    expect(snapshot.sum(CREATED)).toBe(5);
    expect(snapshot.sum(CLOSED, { [CLOSE_REASON]: 'client_closed', 'error.type': undefined })).toBe(5);
    expect(snapshot.count(USES)).toBe(5);
    expect(countAtMost(snapshot.points(USES)[0]!.value, 1)).toBe(5);
    expect(snapshot.histogramSum(USES)).toBe(5);
  });

  test('the agent\'s own idle timeout: idle_timeout, no error.type', async () => {
    const keepAlive = await startKeepAliveServer(); // never closes
    server = keepAlive;
    const client = agent({ keepAlive: true, timeout: 100 });
    expect((await get(keepAlive.origin, { agent: client })).body).toBe('ok');
    await keepAlive.closed(1);
    await closedWith(1);
    const snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CLOSED, { [CLOSE_REASON]: 'idle_timeout', 'error.type': undefined })).toBe(1);
    expect(snapshot.count(IDLE_TIME, { [CLOSE_REASON]: 'idle_timeout' })).toBe(1);
    expect(countAtMost(snapshot.points(IDLE_TIME)[0]!.value, 0.05)).toBe(0);
  });

  test('maxFreeSockets 1: the freed connection its agent drops is client_closed; the server answering Connection: close: server_closed', async () => {
    const plain = await startHttpServer({ delayMs: 30 });
    const closing = await startHttpServer({ connectionClose: true });
    server = plain;
    try {
      const keeping = agent({ keepAlive: true, maxFreeSockets: 1 });
      await Promise.all([get(plain.origin, { agent: keeping }), get(plain.origin, { agent: keeping })]);
      await settled(keeping);
      const other = agent({ keepAlive: true });
      await sequential(2, closing.origin, { agent: other });
      await closedWith(3);
      const snapshot = await subject.metrics.collect();
      expect(plain.acceptedConnections).toBe(2);
      expect(snapshot.sum(CLOSED, { 'server.port': plain.port, [CLOSE_REASON]: 'client_closed', 'error.type': undefined })).toBe(1);
      expect(snapshot.sum(CLOSED, { 'server.port': closing.port, [CLOSE_REASON]: 'server_closed', 'error.type': undefined })).toBe(2);
      expect(snapshot.count(LIFETIME)).toBe(3);
    } finally {
      await closing.close();
    }
  });
});
