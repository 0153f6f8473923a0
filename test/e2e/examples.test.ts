/*
 * The examples a user copies from, run as they are: the NodeSDK setup and the
 * zero-code application (CommonJS with --require, ES module with --import),
 * each exporting its connection metrics over OTLP to a receiver.
 */
import { join } from 'node:path';
import { runFixture, startHttpServer, startOtlpReceiver, type OtlpReceiver, type TestServer } from '../harness';
import { ROOT, cleanEnv, warningLines } from './env';

const REQUESTS = 10;

let server: TestServer;
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

beforeEach(async () => {
  server = await startHttpServer({ tls: true, host: 'localhost' });
  receiver.clear();
});

afterEach(async () => {
  await server.close();
});

afterAll(async () => {
  await receiver.close();
});

const examples = [
  ['sdk-setup: NodeSDK with getConnectionInstrumentations()', 'sdk-setup', 'app.js', ['--require', './instrumentation.js'], 'sdk-setup-example'],
  ['zero-code: CommonJS with --require', 'zero-code', 'app.cjs', ['--require', '@connmetrics/auto/register'], 'unknown_service:'],
  ['zero-code: ES module with --import', 'zero-code', 'app.mjs', ['--import', '@connmetrics/auto/register'], 'unknown_service:'],
] as const;

test.each(examples)('%s', async (_name, directory, script, execArgv, serviceName) => {
  const cwd = join(ROOT, 'examples', directory);
  const run = await runFixture(join(cwd, script), {
    execArgv: [...execArgv],
    cwd,
    args: [`${server.origin}/`, String(REQUESTS)],
    env: cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint }),
  });
  expect({ code: run.code, warnings: warningLines(run.stderr) }).toEqual({ code: 0, warnings: [] });
  expect(run.stdout).toContain(`app: ${REQUESTS} requests with fetch and ${REQUESTS} with an https.Agent to localhost:${server.port}`);

  expect(receiver.rejected).toEqual([]);
  expect(receiver.exports).toHaveLength(1); // when the application ended
  const metrics = receiver.latest();
  expect(String(metrics.resources()[0]?.['service.name'])).toContain(serviceName);
  const target = { 'server.address': 'localhost', 'server.port': server.port };
  // fetch (undici) and the https.Agent (http) each opened one connection and reused it.
  for (const scope of ['@connmetrics/instrumentation-undici', '@connmetrics/instrumentation-http']) {
    const points = metrics.points('connmetrics.connection.created', target).filter((point) => point.scope.name === scope);
    expect({ scope, created: points.reduce((sum, point) => sum + point.value!, 0) }).toEqual({ scope, created: 1 });
  }
  expect(metrics.sum('connmetrics.connection.created', target)).toBe(2);
  expect(metrics.sum('connmetrics.connection.reused', target)).toBe(2 * (REQUESTS - 1));
  expect(metrics.count('connmetrics.tls.handshake.duration', target)).toBe(2);
  expect(server.acceptedConnections).toBe(2);
});
