import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import { startHttpServer, type TestServer } from '@connmetrics/test-harness';
import * as undici from 'undici';
import { CONNECT, CREATED, QUEUE, REUSED, instrumented, nextTick } from './instrumented';

// What the SDK does under suppressTracing (an exporter's requests) is not the
// application's: a connection whose attempt starts under it is not counted,
// nor is anything on it.
describe('the SDK’s own requests', () => {
  let subject: ReturnType<typeof instrumented>;
  let server: TestServer;
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => context.setGlobalContextManager(contextManager.enable())); // as NodeSDK does
  afterAll(() => {
    contextManager.disable();
    context.disable();
  });
  beforeEach(async () => {
    subject = instrumented();
    server = await startHttpServer();
  });
  afterEach(async () => {
    await subject.stop();
    await server.close();
  });

  test('a Pool used under suppressTracing is not counted; the application’s Pool is', async () => {
    const sdkPool = new undici.Pool(server.origin);
    const appPool = new undici.Pool(server.origin);
    try {
      const get = async (pool: undici.Pool) => (await undici.request(server.origin, { dispatcher: pool })).body.text();
      for (let i = 0; i < 3; i += 1) {
        expect(await context.with(suppressTracing(context.active()), () => get(sdkPool))).toBe('ok');
        expect(await get(appPool)).toBe('ok');
        await nextTick();
      }
      const snapshot = await subject.metrics.collect();
      expect(server.acceptedConnections).toBe(2);
      expect(snapshot.sum(CREATED)).toBe(1);
      expect(snapshot.sum(REUSED)).toBe(2);
      expect(snapshot.count(CONNECT)).toBe(1);
      expect(snapshot.count(QUEUE)).toBe(1);
    } finally {
      await sdkPool.close();
      await appPool.close();
    }
  });
});
