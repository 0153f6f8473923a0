/*
 * Only the default exporter (OTLP over http/protobuf) is a dependency of
 * @connmetrics/auto; the others are optional peer dependencies. An
 * application that asks for one it did not install runs exactly as before,
 * with one warning naming the package to install, and its other readers work.
 */
import { join } from 'node:path';
import { runFixture, startHttpServer, startOtlpReceiver, type OtlpReceiver, type TestServer } from '@connmetrics/test-harness';
import { CREATED, FIXTURES, REQUIRE_REGISTER, fixtureEnv, warningLines } from './helpers';

let server: TestServer;
let receiver: OtlpReceiver;

beforeAll(async () => {
  server = await startHttpServer({ tls: true, host: 'localhost' });
  receiver = await startOtlpReceiver({ grpc: true });
});

beforeEach(() => receiver.clear());

afterAll(async () => {
  await receiver.close();
  await server.close();
});

const WITHOUT = ['--require', './without-package.cjs'];

test.each([
  ['prometheus', { OTEL_METRICS_EXPORTER: 'prometheus,otlp' }, '@opentelemetry/exporter-prometheus'],
  ['otlp over grpc', { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc', OTEL_METRICS_EXPORTER: 'otlp,console' }, '@opentelemetry/exporter-metrics-otlp-grpc'],
  ['otlp over http/json', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_METRICS_EXPORTER: 'otlp,console' }, '@opentelemetry/exporter-metrics-otlp-http'],
])('%s, not installed: one warning naming the package, the application unchanged', async (_name, env, pkg) => {
  const run = await runFixture(join(FIXTURES, 'client-app.cjs'), {
    execArgv: [...WITHOUT, ...REQUIRE_REGISTER],
    cwd: FIXTURES,
    args: [server.origin, server.origin, '3'],
    env: fixtureEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint, CONNMETRICS_TEST_MISSING: pkg, ...env }),
  });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('client-app: done');
  expect(warningLines(run.stderr)).toEqual([
    expect.stringContaining(`${pkg} is not installed; install it beside @connmetrics/auto (npm install ${pkg})`),
  ]);
  if (env.OTEL_METRICS_EXPORTER === 'prometheus,otlp') {
    // The OTLP reader beside it exported the application's connections.
    expect(receiver.latest().sum(CREATED, { 'server.port': server.port })).toBe(2);
  } else {
    // The console reader beside it printed them.
    expect(run.stdout).toContain("name: 'connmetrics.connection.created'");
  }
});
