import { join } from 'node:path';
import { runFixture, startHttpServer, type TestServer } from '@connmetrics/test-harness';

describe('beside @opentelemetry/instrumentation-http', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startHttpServer({ delayMs: 20 });
  });
  afterEach(() => server.close());

  const fixture = join(__dirname, 'fixtures', 'beside-upstream.js');

  test('our counts are unchanged by its patching, and it still records every request', async () => {
    const alone = await runFixture<Record<string, unknown>>(fixture, { args: [server.origin, 'alone'] });
    expect(alone.stderr).toBe('');
    const together = await runFixture<Record<string, unknown>>(fixture, { args: [server.origin, 'with-upstream'] });
    expect(together.stderr).toBe('');
    // 5 sequential requests then 10 parallel through a keep-alive agent of 2 sockets.
    expect(alone.result).toEqual({ patched: false, created: 2, reused: 13, queued: 10, idle: 2, upstreamRequests: 0 });
    expect(together.result).toEqual({ patched: true, created: 2, reused: 13, queued: 10, idle: 2, upstreamRequests: 15 });
    expect(server.acceptedConnections).toBe(4);
  });
});
