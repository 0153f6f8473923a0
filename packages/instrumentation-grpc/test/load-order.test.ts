import { join } from 'node:path';
import { runFixture } from '@connmetrics/test-harness';

describe('load order: @opentelemetry/sdk-node required first (it loads @grpc/grpc-js before any user code)', () => {
  test('a refused attempt is failed{ECONNREFUSED} and the one TLS connection has one TLS handshake', async () => {
    const run = await runFixture<Record<string, unknown>>(join(__dirname, 'fixtures', 'sdk-node-first.js'), { timeoutMs: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.result).toEqual({
      loadedFirst: true, // grpc-js was loaded, unpatched, before the instrumentation existed
      patched: true, // enable() patched the copy it found loaded
      refusedError: 14, // UNAVAILABLE, as without instrumentation
      peers: 1, // the server accepted one connection
      failed: 1,
      failedRefused: 1,
      created: 1,
      reused: 9,
      tlsHandshakes: 1,
      allTlsHandshakes: 1,
    });
  });
});
