import * as diagnosticsChannel from 'node:diagnostics_channel';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { runFixture, startHttpServer, waitFor, type TestServer } from '@connmetrics/test-harness';
import { HttpChannel } from '../src';
import { CREATED, LIFETIME, OPEN, REUSED, get, instrumented, sequential, settled, type Subject } from './instrumented';

describe('lifecycle', () => {
  let server: TestServer;
  let subject: Subject;
  const agents: http.Agent[] = [];
  const agent = (options: http.AgentOptions) => {
    const created = new http.Agent(options);
    agents.push(created);
    return created;
  };

  beforeEach(async () => {
    server = await startHttpServer();
    subject = instrumented();
  });
  afterEach(async () => {
    for (const created of agents.splice(0)) created.destroy();
    await subject.stop();
    await server.close();
  });

  test('disable() stops all recording; enable() records again; both are safe twice', async () => {
    const keepAlive = agent({ keepAlive: true });
    await sequential(3, server.origin, { agent: keepAlive });
    subject.instrumentation.disable();
    subject.instrumentation.disable();
    await sequential(5, server.origin, { agent: keepAlive });
    await sequential(2, server.origin, { agent: agent({ keepAlive: true }) });
    await settled(keepAlive);
    let snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(2);
    expect(snapshot.sum(OPEN)).toBe(0); // nothing is followed while disabled
    subject.instrumentation.enable();
    subject.instrumentation.enable();
    await sequential(4, server.origin, { agent: keepAlive }); // opened before: adopted, every use reused
    const fresh = agent({ keepAlive: true });
    await sequential(3, server.origin, { agent: fresh });
    await settled(keepAlive);
    await settled(fresh);
    snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(2);
    expect(snapshot.sum(REUSED)).toBe(2 + 4 + 2);
    expect(snapshot.sum(OPEN, { 'http.connection.state': 'idle' })).toBe(2);
  });

  test('disable() unsubscribes every channel and takes back every listener it added', async () => {
    // The HTTP client channels are ours alone in this process (net.client.socket may have other subscribers).
    const channels = [HttpChannel.RequestCreated, HttpChannel.RequestStart, HttpChannel.RequestError].map((name) =>
      diagnosticsChannel.channel(name),
    );
    expect(channels.map((channel) => channel.hasSubscribers)).toEqual([true, true, true]);

    const slow = await startHttpServer({ delayMs: 400 });
    try {
      const limited = agent({ keepAlive: true, maxSockets: 1 });
      const sockets = new Set<Socket>();
      const requests: http.ClientRequest[] = [];
      const answers = Array.from({ length: 3 }, () =>
        new Promise<void>((resolve, reject) => {
          const request = http.get(slow.origin, { agent: limited }, (response) => {
            response.resume();
            response.on('end', resolve);
          });
          request.on('error', reject);
          request.on('socket', (socket) => sockets.add(socket));
          requests.push(request);
        }),
      );
      await waitFor(() => sockets.size === 1, 'the first request has its socket');
      // 1 connection (connecting or serving), 2 requests queued for it.
      const [socket] = sockets;
      const counts = () => ({
        close: socket!.listenerCount('close'),
        queued: requests.slice(1).map((request) => request.listenerCount('socket')),
      });
      const enabled = counts();
      subject.instrumentation.disable();
      const disabled = counts();
      expect(disabled.close).toBe(enabled.close - 1);
      expect(disabled.queued).toEqual(enabled.queued.map((count) => count - 1));
      expect(channels.map((channel) => channel.hasSubscribers)).toEqual([false, false, false]);
      const atDisable = await subject.metrics.collect();
      await Promise.all(answers);
      const snapshot = await subject.metrics.collect();
      expect(snapshot.sum(CREATED)).toBe(atDisable.sum(CREATED)); // the 2 queued requests were not counted
      expect(snapshot.sum(REUSED)).toBe(0);
      expect(snapshot.sum(OPEN)).toBe(0);
    } finally {
      await slow.close();
    }
  });

  test('a connection still opening when disabled is not counted, and adopted after enable()', async () => {
    const keepAlive = agent({ keepAlive: true });
    const pending = get(server.origin, { agent: keepAlive });
    subject.instrumentation.disable(); // in the same tick: the socket is still connecting
    await pending;
    await settled(keepAlive);
    subject.instrumentation.enable();
    await sequential(2, server.origin, { agent: keepAlive });
    await settled(keepAlive);
    const snapshot = await subject.metrics.collect();
    expect(server.acceptedConnections).toBe(1);
    expect(snapshot.sum(CREATED)).toBe(0);
    expect(snapshot.sum(REUSED)).toBe(2);
    expect(snapshot.sum(OPEN, { 'http.connection.state': 'idle' })).toBe(1);
    keepAlive.destroy();
    await waitFor(async () => (await subject.metrics.collect()).count(LIFETIME) === 1, 'the adopted connection closed');
    expect((await subject.metrics.collect()).sum(OPEN)).toBe(0);
  });

  test('agents are held weakly: 200 short-lived keep-alive agents that queued requests leave nothing registered', async () => {
    const run = await runFixture<{ registeredWhileAlive: number; registeredAfterGc: number; created: number; reused: number }>(
      join(__dirname, 'fixtures', 'churned-agents.js'),
      { args: [server.origin, '200'], execArgv: ['--expose-gc'] },
    );
    expect(run.stderr).toBe('');
    expect(run.result).toEqual({ registeredWhileAlive: 200, registeredAfterGc: 0, created: 200, reused: 200 });
  });
});
