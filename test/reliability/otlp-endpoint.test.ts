/*
 * The OTLP endpoint is down, hangs, or fails: an application started with
 * `@connmetrics/auto/register` does the same work, sees the same results,
 * and ends on time. The bounds are the ones packages/auto/README.md states:
 * on normal exit the last export may hold the process up to the exporter's
 * timeout (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s by default; most runs here set
 * 2 s); on SIGTERM the wait is cut at 5 s and the process ends by the signal.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { refusedPort, startOtlpReceiver, startProcess, waitFor, type OtlpReceiver } from '@connmetrics/test-harness';
import { cleanEnv, warningLines } from './support/env';
import { FIXTURES } from './support/fixtures';

/** The exporter timeout most runs set, and the default the README states. */
const EXPORTER_TIMEOUT_MS = 2_000;
const DEFAULT_EXPORTER_TIMEOUT_MS = 10_000;
/** connmetrics' bound on the last export when a signal ends the process (EXIT_EXPORT_TIMEOUT_MILLIS). */
const SIGNAL_BOUND_MS = 5_000;
/** Scheduling slack on a busy 2-core machine: process exit, not export time. */
const SLACK_MS = 2_500;

const REGISTER = '@connmetrics/auto/register';
const EXPECTED_SEEN = Array.from({ length: 20 }, () => '200 ok');

/** A TCP server that accepts every connection and never answers: an endpoint that hangs. */
async function startHangingEndpoint(): Promise<{ endpoint: string; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface AppRun {
  seen: string[];
  /** From the application's last line of work to the end of the process. */
  lingeredMs: number;
  code: number | null;
  stderr: string;
}

/**
 * Runs the exporting app to its natural end under zero-code loading, and
 * waits for its end a little longer than `boundMs`, not forever: a process
 * still there then is reported as such (lingeredMs Infinity) and killed.
 */
async function runApp(script: string, env: NodeJS.ProcessEnv, boundMs: number, workMs = 0): Promise<AppRun> {
  const loader = script.endsWith('.mjs') ? '--import' : '--require';
  const app = startProcess(join(FIXTURES, script), {
    execArgv: [loader, REGISTER],
    cwd: FIXTURES,
    env: cleanEnv({ OTEL_SERVICE_NAME: 'reliability-app', ...env }),
    args: ['once', String(workMs)],
  });
  try {
    const result = await app.waitForLine(/^RESULT /, 30_000);
    await app.waitForLine(/^DONE /, 30_000);
    const doneAt = Date.now();
    const exit = await app.exited(boundMs + SLACK_MS + 2_000).catch(() => undefined);
    const lingeredMs = exit ? Date.now() - doneAt : Number.POSITIVE_INFINITY;
    return { seen: JSON.parse(result.slice('RESULT '.length)).seen, lingeredMs, code: exit?.code ?? null, stderr: app.stderr };
  } finally {
    await app.stop();
  }
}

/** What the tests compare: the application's results, its exit, and whether it ended within the bound. */
function summary(run: AppRun, boundMs: number) {
  const ended = run.lingeredMs <= boundMs + SLACK_MS ? 'within the bound' : run.lingeredMs === Number.POSITIVE_INFINITY ? 'not at all' : `after ${run.lingeredMs} ms`;
  return { seen: run.seen, code: run.code, ended, warnings: warningLines(run.stderr) };
}
const EXPECTED_RUN = { seen: EXPECTED_SEEN, code: 0, ended: 'within the bound', warnings: [] };

/** The exporter timeout set short; with the default interval only the last export, at exit, meets the endpoint. */
const AT_EXIT = { OTEL_EXPORTER_OTLP_TIMEOUT: String(EXPORTER_TIMEOUT_MS) };
/** Exports every 200 ms while the application works. */
const EXPORTING = { ...AT_EXIT, OTEL_METRIC_EXPORT_INTERVAL: '200' };

let hanging: Awaited<ReturnType<typeof startHangingEndpoint>>;
let failing: OtlpReceiver;
beforeAll(async () => {
  hanging = await startHangingEndpoint();
  failing = await startOtlpReceiver({ status: 503 });
});
afterAll(async () => {
  await hanging.close();
  await failing.close();
});

// The runs are independent child processes that mostly wait: run them side by side.
describe('the application ends on time and sees the same results', () => {
  test.concurrent('endpoint down (connection refused), only the last export at exit meets it', async () => {
    const refused = await refusedPort();
    const run = await runApp('exporting-app.cjs', { ...AT_EXIT, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${refused}` }, EXPORTER_TIMEOUT_MS);
    expect(summary(run, EXPORTER_TIMEOUT_MS)).toEqual(EXPECTED_RUN);
  });

  test.concurrent('endpoint down, exporting every 200 ms while the application works for 1 s', async () => {
    const refused = await refusedPort();
    const run = await runApp('exporting-app.cjs', { ...EXPORTING, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${refused}` }, EXPORTER_TIMEOUT_MS, 1_000);
    expect(summary(run, EXPORTER_TIMEOUT_MS)).toEqual(EXPECTED_RUN);
  });

  test.concurrent('endpoint down, the default exporter timeout, exporting every second while the application works for 2.5 s', async () => {
    const refused = await refusedPort();
    const run = await runApp(
      'exporting-app.cjs',
      { OTEL_METRIC_EXPORT_INTERVAL: '1000', OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${refused}` },
      DEFAULT_EXPORTER_TIMEOUT_MS,
      2_500,
    );
    expect(summary(run, DEFAULT_EXPORTER_TIMEOUT_MS)).toEqual(EXPECTED_RUN);
  });

  test.concurrent('endpoint hangs (accepts, never answers), OTLP/HTTP, CommonJS', async () => {
    // An endpoint of its own, so that what it accepted came from this application.
    const own = await startHangingEndpoint();
    try {
      const run = await runApp('exporting-app.cjs', { ...AT_EXIT, OTEL_EXPORTER_OTLP_ENDPOINT: own.endpoint }, EXPORTER_TIMEOUT_MS);
      expect(summary(run, EXPORTER_TIMEOUT_MS)).toEqual(EXPECTED_RUN);
      // The export at exit did reach it, on one connection (its accept may be handled after the app's exit).
      await waitFor(() => own.accepted() >= 1, 'the endpoint accepted the export connection');
      expect(own.accepted()).toBe(1);
    } finally {
      await own.close();
    }
  });

  test.concurrent('endpoint hangs, exporting every 200 ms while the application works for 1 s', async () => {
    const run = await runApp('exporting-app.cjs', { ...EXPORTING, OTEL_EXPORTER_OTLP_ENDPOINT: hanging.endpoint }, EXPORTER_TIMEOUT_MS, 1_000);
    expect(summary(run, EXPORTER_TIMEOUT_MS)).toEqual(EXPECTED_RUN);
  });

  test.concurrent('endpoint hangs, the default exporter timeout (10 s)', async () => {
    const run = await runApp('exporting-app.cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: hanging.endpoint }, DEFAULT_EXPORTER_TIMEOUT_MS);
    expect(summary(run, DEFAULT_EXPORTER_TIMEOUT_MS)).toEqual(EXPECTED_RUN);
  });

  test.concurrent('endpoint hangs, ES module application', async () => {
    const run = await runApp('exporting-app.mjs', { ...AT_EXIT, OTEL_EXPORTER_OTLP_ENDPOINT: hanging.endpoint }, EXPORTER_TIMEOUT_MS);
    expect(summary(run, EXPORTER_TIMEOUT_MS)).toEqual(EXPECTED_RUN);
  });

  test.concurrent('endpoint hangs, OTLP/gRPC', async () => {
    const run = await runApp(
      'exporting-app.cjs',
      { ...AT_EXIT, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: hanging.endpoint },
      EXPORTER_TIMEOUT_MS,
    );
    expect(summary(run, EXPORTER_TIMEOUT_MS)).toEqual(EXPECTED_RUN);
  });

  test.concurrent('endpoint answers 503 to every export', async () => {
    // The exporter retries a 503 until its timeout: 5 s, so that its first attempt reaches the
    // endpoint however busy the machine (2 s can pass on a loaded one before it is sent).
    const timeoutMs = 5_000;
    const before = failing.requests;
    const run = await runApp('exporting-app.cjs', { OTEL_EXPORTER_OTLP_TIMEOUT: String(timeoutMs), OTEL_EXPORTER_OTLP_ENDPOINT: failing.httpEndpoint }, timeoutMs);
    expect(summary(run, timeoutMs)).toEqual(EXPECTED_RUN);
    // The export reached the endpoint: counted at its request's arrival, which the endpoint may
    // handle after the application's exit, and whose body the exit may cut short (not a decoded export).
    await failing.waitFor((receiver) => receiver.requests > before, 'an export request at the endpoint');
  });

  test.concurrent('endpoint hangs, a service ended by SIGTERM: it ends by SIGTERM within 5 s', async () => {
    const app = startProcess(join(FIXTURES, 'exporting-app.cjs'), {
      execArgv: ['--require', REGISTER],
      cwd: FIXTURES,
      env: cleanEnv({ OTEL_METRIC_EXPORT_INTERVAL: '200', OTEL_EXPORTER_OTLP_ENDPOINT: hanging.endpoint }),
      args: ['serve'],
    });
    try {
      await app.waitForLine(/^SERVING/, 30_000);
      const signalledAt = Date.now();
      app.kill('SIGTERM');
      const exit = await app.exited(SIGNAL_BOUND_MS + SLACK_MS + 2_000);
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(Date.now() - signalledAt).toBeLessThanOrEqual(SIGNAL_BOUND_MS + SLACK_MS);
    } finally {
      await app.stop();
    }
  });
});
