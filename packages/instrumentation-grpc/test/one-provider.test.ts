/*
 * Registered twice, counted once: two instances of the instrumentation on one
 * MeterProvider count each session, call and failed attempt once, as the
 * server and the application saw them. Runs in a real process, both
 * instances enabled before grpc-js is loaded (the connector patch applies).
 */
import { join } from 'node:path';
import { runFixture } from '@connmetrics/test-harness';

type Counts = { created: number; reused: number; failed: number; closed: number; lifetimes: number; open: number };
type Seen = { connections: number; calls: number; open: number; refused?: number; refusedHttp2?: number };

test('two instances on one MeterProvider: created, reused, failed, closed and lifetimes once; the second counts alone once the first is disabled', async () => {
  const run = await runFixture<{ both: Seen; bothCounts: Counts; second: Seen; secondCounts: Counts }>(join(__dirname, 'fixtures', 'one-provider.js'), {
    timeoutMs: 30_000,
  });
  expect(run.stderr).toBe('');
  const { both, bothCounts, second, secondCounts } = run.result!;
  // What the server saw: one connection per channel; the refused grpc-js call failed with UNAVAILABLE, the node:http2 request with ECONNREFUSED.
  expect([both, second]).toEqual([
    { connections: 1, calls: 10, open: 1, refused: 1, refusedHttp2: 1 },
    { connections: 1, calls: 5, open: 1 },
  ]);
  expect(bothCounts).toEqual({
    created: both.connections,
    reused: both.calls - both.connections,
    failed: both.refused! + both.refusedHttp2!,
    closed: both.connections,
    lifetimes: both.connections,
    open: 0,
  });
  expect(secondCounts).toEqual({
    created: both.connections + second.connections,
    reused: both.calls - both.connections + second.calls - second.connections,
    failed: both.refused! + both.refusedHttp2!,
    closed: both.connections + second.connections,
    lifetimes: both.connections + second.connections,
    open: 0,
  });
});
