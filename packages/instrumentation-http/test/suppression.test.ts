import { join } from 'node:path';
import { runFixture, startHttpServer, startOtlpReceiver } from '@connmetrics/test-harness';

// The SDK's own exports run under suppressTracing (the metric reader sets it
// around every export): their connections to the collector are not the
// application's and are not counted, as in the upstream http instrumentation.
describe('the SDK’s own telemetry', () => {
  test('an OTLP/HTTP exporter’s connections are not counted; the application’s are', async () => {
    const receiver = await startOtlpReceiver();
    const server = await startHttpServer();
    try {
      const run = await runFixture<{ ports: Record<string, string[]>; created: number; reused: number }>(
        join(__dirname, 'fixtures', 'otlp-exporter.js'),
        { args: [server.origin, receiver.metricsUrl] },
      );
      expect(run.stderr).toBe('');
      expect(receiver.exports.length).toBe(4); // the exports happened (3 flushes and the one at shutdown)
      // Every series is the application's server: none names the collector.
      expect(Object.keys(run.result!.ports)).toEqual([String(server.port)]);
      expect(run.result).toMatchObject({ created: 1, reused: 2 });
      expect(server.acceptedConnections).toBe(1);
    } finally {
      await receiver.close();
      await server.close();
    }
  });

  test('the control: without a context manager the suppression cannot reach the request, and the exporter is counted', async () => {
    const receiver = await startOtlpReceiver();
    const server = await startHttpServer();
    try {
      const run = await runFixture<{ ports: Record<string, string[]>; created: number; reused: number }>(
        join(__dirname, 'fixtures', 'otlp-exporter.js'),
        { args: [server.origin, receiver.metricsUrl, 'no-context-manager'] },
      );
      expect(run.stderr).toBe('');
      const collectorPort = String(new URL(receiver.metricsUrl).port);
      expect(Object.keys(run.result!.ports).sort()).toEqual([String(server.port), collectorPort].sort());
      expect(run.result).toMatchObject({ created: 2, reused: 4 });
    } finally {
      await receiver.close();
      await server.close();
    }
  });
});
