import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { TestMetrics, startHttpServer, type TestServer } from '@connmetrics/test-harness';
import * as undici from 'undici';
import { CREATED, REUSED, instrumented, nextTick } from './instrumented';

describe('beside @opentelemetry/instrumentation-undici', () => {
  let server: TestServer;
  afterEach(async () => server.close());

  test('our counts are unchanged and theirs are still recorded', async () => {
    server = await startHttpServer();
    const ours = instrumented();
    const theirMetrics = new TestMetrics();
    const theirs = new UndiciInstrumentation();
    theirs.setMeterProvider(theirMetrics.meterProvider);
    theirs.enable();
    try {
      const pool = new undici.Pool(server.origin);
      for (let i = 0; i < 10; i += 1) {
        await (await undici.request(server.origin, { dispatcher: pool })).body.text();
        await (await fetch(server.origin)).text();
        await nextTick();
      }
      await pool.close();
      const snapshot = await ours.metrics.collect();
      expect(snapshot.sum(CREATED)).toBe(2);
      expect(snapshot.sum(REUSED)).toBe(18);
      const upstream = await theirMetrics.collect();
      expect(upstream.count('http.client.request.duration')).toBe(20);
    } finally {
      theirs.disable();
      await ours.stop();
      await theirMetrics.shutdown();
    }
  });
});
