/*
 * The last export, and the exit the application would have had anyway:
 * - a service with no SIGTERM handler is flushed, then ends by SIGTERM;
 * - a service with its own SIGTERM handler is flushed and keeps running
 *   (connmetrics does not exit for it); what it does while draining is
 *   exported when it ends on its own;
 * - a service using signal-exit ends by SIGTERM after the flush and its exit
 *   handlers;
 * - OTEL_METRICS_EXPORTER=none and OTEL_SDK_DISABLED=true export nothing.
 */
import { join } from 'node:path';
import {
  runFixture,
  startHttpServer,
  startOtlpReceiver,
  startProcess,
  type OtlpReceiver,
  type RunningProcess,
  type TestServer,
} from '@connmetrics/test-harness';
import { CREATED, FIXTURES, REQUIRE_REGISTER, REUSED, fixtureEnv, warningLines } from './helpers';

let server: TestServer;
let receiver: OtlpReceiver;
let app: RunningProcess | undefined;

beforeAll(async () => {
  server = await startHttpServer({ tls: true, host: 'localhost' });
  receiver = await startOtlpReceiver();
});

beforeEach(() => receiver.clear());

afterEach(async () => {
  await app?.stop();
  app = undefined;
});

afterAll(async () => {
  await receiver.close();
  await server.close();
});

const otlpEnv = () => fixtureEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint });

test('a service without a SIGTERM handler is flushed, then ends by SIGTERM as it would have', async () => {
  app = startProcess(join(FIXTURES, 'service-app.cjs'), {
    execArgv: REQUIRE_REGISTER,
    cwd: FIXTURES,
    args: [server.origin, server.origin, '10'],
    env: otlpEnv(),
  });
  await app.waitForLine(/^service-app: ready$/);
  expect(receiver.exports).toHaveLength(0); // the interval is a minute
  app.kill('SIGTERM');
  expect(await app.exited()).toEqual({ code: null, signal: 'SIGTERM' });
  expect(receiver.exports).toHaveLength(1);
  const metrics = receiver.latest();
  // fetch and the https Agent each opened one connection to the server.
  expect(metrics.sum(CREATED, { 'server.port': server.port })).toBe(2);
  expect(metrics.sum(REUSED, { 'server.port': server.port })).toBe(18);
  expect(warningLines(app.stderr)).toEqual([]);
});

test('a service with its own SIGTERM handler is flushed and keeps running; its drain is exported when it ends', async () => {
  app = startProcess(join(FIXTURES, 'graceful-app.cjs'), {
    execArgv: REQUIRE_REGISTER,
    cwd: FIXTURES,
    args: [server.origin, '5', '7'],
    env: otlpEnv(),
  });
  await app.waitForLine(/^graceful-app: ready$/);
  app.kill('SIGTERM');
  await receiver.waitFor((r) => r.exports.length >= 1, 'the export made on SIGTERM');
  // The first export holds the state at the signal, before the drain (which waits for SIGUSR2).
  expect(receiver.exports[0]!.points.filter((point) => point.metric === REUSED).map((point) => point.value)).toEqual([4]);
  app.kill('SIGUSR2');
  expect(await app.exited()).toEqual({ code: 0, signal: null });
  expect(app.stdout).toContain('graceful-app: drained');
  expect(receiver.exports).toHaveLength(2);
  const metrics = receiver.latest();
  expect(metrics.sum(CREATED, { 'server.port': server.port })).toBe(1);
  expect(metrics.sum(REUSED, { 'server.port': server.port })).toBe(11);
});

test('a service using signal-exit (and no SIGTERM handler) is flushed, runs its exit handlers and ends by SIGTERM', async () => {
  // signal-exit, like connmetrics, ends the process only when no one else listens: neither may wait for the other.
  app = startProcess(join(FIXTURES, 'signal-exit-app.cjs'), {
    execArgv: REQUIRE_REGISTER,
    cwd: FIXTURES,
    args: [server.origin, '6'],
    env: otlpEnv(),
  });
  await app.waitForLine(/^signal-exit-app: ready$/);
  app.kill('SIGTERM');
  expect(await app.exited()).toEqual({ code: null, signal: 'SIGTERM' });
  expect(app.stdout).toContain('signal-exit-app: exit handler ran (SIGTERM)');
  expect(receiver.exports).toHaveLength(1);
  expect(receiver.latest().sum(REUSED, { 'server.port': server.port })).toBe(5);
});

test('OTEL_METRIC_EXPORT_INTERVAL: a running service exports at that interval', async () => {
  app = startProcess(join(FIXTURES, 'service-app.cjs'), {
    execArgv: REQUIRE_REGISTER,
    cwd: FIXTURES,
    args: [server.origin, server.origin, '4'],
    // The export timeout is at most the interval: 1 s lets an export finish on a loaded machine
    // (at 200 ms, an export slower than that is abandoned, and none may ever arrive).
    env: { ...otlpEnv(), OTEL_METRIC_EXPORT_INTERVAL: '1000' },
  });
  await app.waitForLine(/^service-app: ready$/);
  // Exports may have started while the work ran (a slow machine): wait for
  // the first that holds all of it, then for two more at the interval.
  const created = (index: number) =>
    receiver.exports[index]!.points
      .filter((point) => point.metric === CREATED && point.attributes['server.port'] === server.port)
      .reduce((sum, point) => sum + point.value!, 0);
  await receiver.waitFor((r) => r.exports.some((_, index) => created(index) === 2), 'a periodic export with the work done', 30_000);
  const first = receiver.exports.findIndex((_, index) => created(index) === 2);
  await receiver.waitFor((r) => r.exports.length >= first + 3, 'two more periodic exports', 30_000);
  // Cumulative: every later export repeats the totals.
  expect(receiver.exports.slice(first, first + 3).map((_, index) => created(first + index))).toEqual([2, 2, 2]);
  expect(app.child.exitCode).toBeNull(); // still running
});

test('OTEL_METRICS_EXPORTER=console prints the metrics when the application ends', async () => {
  const run = await runFixture(join(FIXTURES, 'client-app.cjs'), {
    execArgv: REQUIRE_REGISTER,
    cwd: FIXTURES,
    args: [server.origin, server.origin, '3'],
    env: { ...otlpEnv(), OTEL_METRICS_EXPORTER: 'console' },
  });
  expect({ code: run.code, warnings: warningLines(run.stderr) }).toEqual({ code: 0, warnings: [] });
  expect(run.stdout).toContain("name: 'connmetrics.connection.created'");
  expect(run.stdout).toContain(`'server.port': ${server.port}`);
  expect(receiver.exports).toHaveLength(0);
});

test.each([
  ['OTEL_METRICS_EXPORTER=none', { OTEL_METRICS_EXPORTER: 'none' }],
  ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true' }],
])('%s: the application runs and nothing is exported', async (_name, env) => {
  const run = await runFixture(join(FIXTURES, 'client-app.cjs'), {
    execArgv: REQUIRE_REGISTER,
    cwd: FIXTURES,
    args: [server.origin, server.origin, '3'],
    env: { ...otlpEnv(), ...env },
  });
  expect({ code: run.code, warnings: warningLines(run.stderr) }).toEqual({ code: 0, warnings: [] });
  expect(run.stdout).toContain('client-app: done');
  expect(receiver.exports).toHaveLength(0);
});
