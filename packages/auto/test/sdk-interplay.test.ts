/*
 * Beside another OpenTelemetry SDK: with
 * @opentelemetry/auto-instrumentations-node/register loaded before or after
 * @connmetrics/auto/register, there is one export pipeline (theirs), and it
 * carries connmetrics' metrics and theirs, each exactly once.
 */
import { join } from 'node:path';
import { runFixture, startHttpServer, startOtlpReceiver, type OtlpReceiver, type TestServer } from '@connmetrics/test-harness';
import { CREATED, DNS, FIXTURES, REGISTER, REUSED, TLS, fixtureEnv, warningLines } from './helpers';

const UPSTREAM_REGISTER = '@opentelemetry/auto-instrumentations-node/register';
const UPSTREAM_ESM_LOADER = ['--experimental-loader=@opentelemetry/instrumentation/hook.mjs'];
const REQUESTS = 20;

let fetchServer: TestServer;
let httpsServer: TestServer;
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
});

beforeEach(async () => {
  fetchServer = await startHttpServer({ tls: true, host: 'localhost' });
  httpsServer = await startHttpServer({ tls: true, host: 'localhost' });
  receiver.clear();
});

afterEach(async () => {
  await fetchServer.close();
  await httpsServer.close();
});

afterAll(async () => {
  await receiver.close();
});

const cases = [
  ['CommonJS, upstream loaded first', 'client-app.cjs', ['--require', UPSTREAM_REGISTER, '--require', REGISTER]],
  ['CommonJS, upstream loaded after', 'client-app.cjs', ['--require', REGISTER, '--require', UPSTREAM_REGISTER]],
  // For ES modules the upstream package asks for its loader hook too (it patches node:https).
  ['ES module, upstream loaded first', 'client-app.mjs', [...UPSTREAM_ESM_LOADER, '--import', UPSTREAM_REGISTER, '--import', REGISTER]],
  ['ES module, upstream loaded after', 'client-app.mjs', [...UPSTREAM_ESM_LOADER, '--import', REGISTER, '--import', UPSTREAM_REGISTER]],
] as const;

test.each(cases)('%s: one pipeline with both our metrics and theirs', async (_name, script, execArgv) => {
  const run = await runFixture(join(FIXTURES, script), {
    execArgv: [...execArgv],
    cwd: FIXTURES,
    args: [fetchServer.origin, httpsServer.origin, String(REQUESTS)],
    env: fixtureEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
      OTEL_SERVICE_NAME: 'interplay-app',
      // Their SDK would also export traces and logs; only metrics matter here.
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      // No cloud detectors: they would probe metadata endpoints.
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process,serviceinstance',
    }),
  });
  // Node warns about --experimental-loader itself; nothing else may warn.
  const warnings = warningLines(run.stderr).filter((line) => !line.includes('ExperimentalWarning: `--experimental-loader`'));
  expect({ code: run.code, warnings }).toEqual({ code: 0, warnings: [] });
  expect(receiver.rejected).toEqual([]);
  expect(receiver.exports.length).toBeGreaterThan(0);

  // One pipeline: every point of every export comes from one resource, and
  // therefore one MeterProvider (service.instance.id is random per provider).
  const everything = receiver.all();
  expect(everything.resources()).toHaveLength(1);
  expect(everything.resources()[0]).toMatchObject({ 'service.name': 'interplay-app' });

  const metrics = receiver.latest();
  const scopes = new Set(metrics.allPoints.map((point) => point.scope.name));
  expect([...scopes]).toEqual(
    expect.arrayContaining([
      '@connmetrics/instrumentation-undici',
      '@connmetrics/instrumentation-http',
      '@opentelemetry/instrumentation-undici',
      '@opentelemetry/instrumentation-http',
    ]),
  );

  for (const server of [fetchServer, httpsServer]) {
    const target = { 'server.address': 'localhost', 'server.port': server.port };
    // Ours, exactly once (a second copy would double them).
    expect(metrics.sum(CREATED, target)).toBe(1);
    expect(metrics.sum(REUSED, target)).toBe(REQUESTS - 1);
    expect(metrics.count(DNS, target)).toBe(1);
    expect(metrics.count(TLS, target)).toBe(1);
    // Theirs: one request duration per request.
    expect(metrics.count('http.client.request.duration', target)).toBe(REQUESTS);
  }
});
