/*
 * The OTLP endpoint is down, hangs, or fails: an application started with
 * `@connmetrics/auto/register` does the same work, sees the same results,
 * and ends on time: within the bound connmetrics sets on its last export
 * (EXIT_EXPORT_TIMEOUT_MILLIS in packages/auto/src/start.ts, 5 s) after the
 * application's own work is over, or by the signal that ended it.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { freePort, startOtlpReceiver, startProcess, type OtlpReceiver } from '@connmetrics/test-harness';
import { cleanEnv, warningLines } from './support/env';
import { FIXTURES } from './support/fixtures';

/** connmetrics' bound on the last export when the process ends. */
const EXIT_EXPORT_TIMEOUT_MS = 5_000;
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
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the exporting app to its natural end under zero-code loading. */
async function runApp(script: string, env: NodeJS.ProcessEnv): Promise<AppRun> {
  const loader = script.endsWith('.mjs') ? '--import' : '--require';
  const app = startProcess(join(FIXTURES, script), { execArgv: [loader, REGISTER], cwd: FIXTURES, env: cleanEnv(env), args: ['once'] });
  try {
    const result = await app.waitForLine(/^RESULT /, 30_000);
    await app.waitForLine(/^DONE /, 30_000);
    const doneAt = Date.now();
    const exit = await app.exited(60_000);
    return { seen: JSON.parse(result.slice('RESULT '.length)).seen, lingeredMs: Date.now() - doneAt, ...exit, stderr: app.stderr };
  } finally {
    await app.stop();
  }
}

/** Frequent periodic exports, so that some are in flight while the application works. */
const EVERY_100_MS = { OTEL_METRIC_EXPORT_INTERVAL: '100', OTEL_SERVICE_NAME: 'reliability-app' };

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

describe('the application ends on time and sees the same results', () => {
  test('endpoint down (connection refused), CommonJS', async () => {
    const refused = await freePort();
    const run = await runApp('exporting-app.cjs', { ...EVERY_100_MS, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${refused}` });
    expect({ seen: run.seen, code: run.code, warnings: warningLines(run.stderr) }).toEqual({ seen: EXPECTED_SEEN, code: 0, warnings: [] });
    expect(run.lingeredMs).toBeLessThanOrEqual(EXIT_EXPORT_TIMEOUT_MS + SLACK_MS);
  });

  test('endpoint hangs (accepts, never answers), CommonJS, OTLP/HTTP', async () => {
    const run = await runApp('exporting-app.cjs', { ...EVERY_100_MS, OTEL_EXPORTER_OTLP_ENDPOINT: hanging.endpoint });
    expect({ seen: run.seen, code: run.code, warnings: warningLines(run.stderr) }).toEqual({ seen: EXPECTED_SEEN, code: 0, warnings: [] });
    expect(hanging.accepted()).toBeGreaterThan(0); // the exports did reach it
    expect(run.lingeredMs).toBeLessThanOrEqual(EXIT_EXPORT_TIMEOUT_MS + SLACK_MS);
  });

  test('endpoint hangs, with an exporter timeout longer than the bound (OTEL_EXPORTER_OTLP_TIMEOUT=30000)', async () => {
    const run = await runApp('exporting-app.cjs', {
      ...EVERY_100_MS,
      OTEL_EXPORTER_OTLP_ENDPOINT: hanging.endpoint,
      OTEL_EXPORTER_OTLP_TIMEOUT: '30000',
      OTEL_METRIC_EXPORT_TIMEOUT: '30000',
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
    });
    expect({ seen: run.seen, code: run.code }).toEqual({ seen: EXPECTED_SEEN, code: 0 });
    expect(run.lingeredMs).toBeLessThanOrEqual(EXIT_EXPORT_TIMEOUT_MS + SLACK_MS);
  }, 60_000);

  test('endpoint hangs, ES module application', async () => {
    const run = await runApp('exporting-app.mjs', { ...EVERY_100_MS, OTEL_EXPORTER_OTLP_ENDPOINT: hanging.endpoint });
    expect({ seen: run.seen, code: run.code, warnings: warningLines(run.stderr) }).toEqual({ seen: EXPECTED_SEEN, code: 0, warnings: [] });
    expect(run.lingeredMs).toBeLessThanOrEqual(EXIT_EXPORT_TIMEOUT_MS + SLACK_MS);
  });

  test('endpoint hangs, OTLP/gRPC', async () => {
    const run = await runApp('exporting-app.cjs', {
      ...EVERY_100_MS,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: hanging.endpoint,
    });
    expect({ seen: run.seen, code: run.code, warnings: warningLines(run.stderr) }).toEqual({ seen: EXPECTED_SEEN, code: 0, warnings: [] });
    expect(run.lingeredMs).toBeLessThanOrEqual(EXIT_EXPORT_TIMEOUT_MS + SLACK_MS);
  });

  test('endpoint answers 503 to every export', async () => {
    const run = await runApp('exporting-app.cjs', { ...EVERY_100_MS, OTEL_EXPORTER_OTLP_ENDPOINT: failing.httpEndpoint });
    expect({ seen: run.seen, code: run.code, warnings: warningLines(run.stderr) }).toEqual({ seen: EXPECTED_SEEN, code: 0, warnings: [] });
    expect(failing.exports.length).toBeGreaterThan(0);
    expect(run.lingeredMs).toBeLessThanOrEqual(EXIT_EXPORT_TIMEOUT_MS + SLACK_MS);
  });

  test('endpoint hangs, a service ended by SIGTERM: it ends by SIGTERM, on time', async () => {
    const app = startProcess(join(FIXTURES, 'exporting-app.cjs'), {
      execArgv: ['--require', REGISTER],
      cwd: FIXTURES,
      env: cleanEnv({ ...EVERY_100_MS, OTEL_EXPORTER_OTLP_ENDPOINT: hanging.endpoint }),
      args: ['serve'],
    });
    try {
      await app.waitForLine(/^SERVING/, 30_000);
      const signalledAt = Date.now();
      app.kill('SIGTERM');
      const exit = await app.exited(30_000);
      expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
      expect(Date.now() - signalledAt).toBeLessThanOrEqual(EXIT_EXPORT_TIMEOUT_MS + SLACK_MS);
    } finally {
      await app.stop();
    }
  });
});
