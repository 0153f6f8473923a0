import * as diagnosticsChannel from 'node:diagnostics_channel';
import { startHttpServer, type TestServer } from '@connmetrics/test-harness';
import * as undici from 'undici';
import * as undici6 from 'undici6';
import { CREATED, REUSED, instrumented, nextTick } from './instrumented';

describe('lifecycle', () => {
  let server: TestServer;
  let subject: ReturnType<typeof instrumented>;
  beforeEach(async () => {
    server = await startHttpServer();
    subject = instrumented();
  });
  afterEach(async () => {
    await subject.stop();
    await server.close();
  });

  async function requests(count: number, dispatcher: undici.Dispatcher) {
    for (let i = 0; i < count; i += 1) {
      const response = await undici.request(server.origin, { dispatcher });
      await response.body.text();
      await nextTick();
    }
  }

  test('disable() stops all recording; enable() records again; both are safe twice', async () => {
    const pool = new undici.Pool(server.origin);
    const sockets: import('node:net').Socket[] = [];
    const onConnected = ({ socket }: { socket: import('node:net').Socket }) => sockets.push(socket);
    diagnosticsChannel.subscribe('undici:client:connected', onConnected as (message: unknown) => void);
    await requests(3, pool);
    diagnosticsChannel.unsubscribe('undici:client:connected', onConnected as (message: unknown) => void);
    expect(sockets).toHaveLength(1);
    const listenersWhileEnabled = sockets[0]!.listenerCount('close');
    subject.instrumentation.disable();
    // disable() detaches what it attached to open connections, too.
    expect(sockets[0]!.listenerCount('close')).toBe(listenersWhileEnabled - 1);
    subject.instrumentation.disable();
    await requests(5, pool);
    await requests(2, new undici.Pool(server.origin));
    let snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(1);
    expect(snapshot.sum(REUSED)).toBe(2);
    subject.instrumentation.enable();
    subject.instrumentation.enable();
    await requests(4, pool); // a connection opened while disabled: its uses count as reused
    const fresh = new undici.Pool(server.origin);
    await requests(3, fresh);
    snapshot = await subject.metrics.collect();
    expect(snapshot.sum(CREATED)).toBe(2);
    expect(snapshot.sum(REUSED)).toBe(2 + 4 + 2);
    await pool.close();
    await fresh.close();
  });

  test('npm undici 7, npm undici 6 and the global fetch in one process: every use counted once', async () => {
    const pool7 = new undici.Pool(server.origin);
    const pool6 = new undici6.Pool(server.origin);
    for (let i = 0; i < 10; i += 1) {
      await (await undici.request(server.origin, { dispatcher: pool7 })).body.text();
      await (await undici6.request(server.origin, { dispatcher: pool6 })).body.text();
      await (await fetch(server.origin)).text();
      await nextTick();
    }
    const snapshot = await subject.metrics.collect();
    expect(server.requests).toBe(30);
    expect(snapshot.sum(CREATED)).toBe(3);
    expect(snapshot.sum(CREATED)).toBe(server.acceptedConnections);
    expect(snapshot.sum(REUSED)).toBe(27);
    await pool7.close();
    await pool6.close();
  });
});
