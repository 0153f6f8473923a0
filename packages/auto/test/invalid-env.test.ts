/*
 * Bad environment values never stop the application: each gives one clear
 * warning naming the variable, and the default is used, so metrics still
 * arrive where the usable settings say.
 */
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { runFixture, startHttpServer, startOtlpReceiver, type OtlpReceiver, type TestServer } from '@connmetrics/test-harness';
import { CREATED, FIXTURES, IMPORT_REGISTER, REQUIRE_REGISTER, REUSED, fixtureEnv, warningLines } from './helpers';

let server: TestServer;
let receiver: OtlpReceiver;

beforeAll(async () => {
  server = await startHttpServer({ tls: true, host: 'localhost' });
  receiver = await startOtlpReceiver();
});

beforeEach(() => receiver.clear());

afterAll(async () => {
  await receiver.close();
  await server.close();
});

const BAD_VALUES = {
  OTEL_METRICS_EXPORTER: 'otlpp',
  OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/xml',
  OTEL_METRIC_EXPORT_INTERVAL: 'soon',
  OTEL_METRIC_EXPORT_TIMEOUT: '-5',
  OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: '1.5s',
  OTEL_EXPORTER_OTLP_COMPRESSION: 'brotli',
  OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes',
  OTEL_EXPORTER_OTLP_HEADERS: 'api-key=secret-value,broken-entry',
  OTEL_RESOURCE_ATTRIBUTES: 'team=a=b',
  OTEL_SDK_DISABLED: 'maybe',
  OTEL_NODE_RESOURCE_DETECTORS: 'host,cloud',
  OTEL_EXPORTER_PROMETHEUS_PORT: '99999',
  CONNMETRICS_DISABLED_INSTRUMENTATIONS: 'mysql',
} as const;

const apps = [
  ['CommonJS app with --require', 'client-app.cjs', REQUIRE_REGISTER],
  ['ES module app with --import', 'client-app.mjs', IMPORT_REGISTER],
] as const;

test.each(apps)('%s: one warning per bad variable, defaults used, metrics exported', async (_name, script, execArgv) => {
  const run = await runFixture(join(FIXTURES, script), {
    execArgv: [...execArgv],
    cwd: FIXTURES,
    args: [server.origin, server.origin, '5'],
    env: fixtureEnv({ ...BAD_VALUES, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint }),
  });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('client-app: done');

  const warnings = warningLines(run.stderr);
  for (const variable of Object.keys(BAD_VALUES)) {
    expect({ variable, count: warnings.filter((line) => line.includes(`${variable}:`)).length }).toEqual({ variable, count: 1 });
  }
  expect(warnings).toHaveLength(Object.keys(BAD_VALUES).length);
  for (const line of warnings) expect(line).toMatch(/^\(node:\d+\) \[CONNMETRICS_CONFIG\] ConnmetricsWarning: /);
  // Each says what it does instead, and never repeats a header value.
  expect(warnings.find((line) => line.includes('OTEL_METRICS_EXPORTER:'))).toContain('unknown exporter "otlpp" (expected otlp, prometheus, console or none); using otlp.');
  expect(warnings.find((line) => line.includes('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL:'))).toContain('using http/protobuf');
  expect(warnings.find((line) => line.includes('OTEL_METRIC_EXPORT_INTERVAL:'))).toContain('using 60000');
  expect(warnings.find((line) => line.includes('OTEL_EXPORTER_OTLP_HEADERS:'))).toContain('entry 2 is not key=value');
  expect(run.stderr).not.toContain('secret-value');
  expect(warnings.find((line) => line.includes('CONNMETRICS_DISABLED_INSTRUMENTATIONS:'))).toContain(
    'unknown instrumentation "mysql" ignored (known: undici, http, pg, ioredis, redis, grpc, mysql2 or postgres)',
  );

  // The defaults at work: OTLP over http/protobuf to the (valid) endpoint, once at exit.
  expect(receiver.exports.map((exported) => exported.transport)).toEqual(['http/protobuf']);
  expect(receiver.exports[0]!.headers['api-key']).toBe('secret-value');
  const metrics = receiver.latest();
  expect(metrics.sum(CREATED, { 'server.port': server.port })).toBe(2);
  expect(metrics.sum(REUSED, { 'server.port': server.port })).toBe(8);
  // A bad OTEL_RESOURCE_ATTRIBUTES is dropped as a whole, as the specification requires.
  expect(metrics.resources()[0]).not.toHaveProperty('team');
});

test('an unusable signal endpoint falls back to the usable general one', async () => {
  const run = await runFixture(join(FIXTURES, 'client-app.cjs'), {
    execArgv: REQUIRE_REGISTER,
    cwd: FIXTURES,
    args: [server.origin, server.origin, '2'],
    env: fixtureEnv({
      // Parses as a URL with scheme "localhost:": the exporter would accept it and fail at every export.
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'localhost:4318',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
    }),
  });
  expect(run.code).toBe(0);
  expect(warningLines(run.stderr)).toEqual([
    expect.stringContaining(
      `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "localhost:4318" is not an http:// or https:// URL; using ${receiver.metricsUrl}.`,
    ),
  ]);
  expect(receiver.exports).toHaveLength(1);
});

test('an endpoint the gRPC exporter would throw on gives a warning, not a crash', async () => {
  const run = await runFixture(join(FIXTURES, 'client-app.cjs'), {
    execArgv: REQUIRE_REGISTER,
    cwd: FIXTURES,
    args: [server.origin, server.origin, '2'],
    env: fixtureEnv({
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://',
      OTEL_EXPORTER_OTLP_TIMEOUT: '500',
    }),
  });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('client-app: done');
  expect(warningLines(run.stderr)).toEqual([
    expect.stringContaining('OTEL_EXPORTER_OTLP_ENDPOINT: "http://" is not an http:// or https:// URL; using http://localhost:4317.'),
  ]);
});

test('a Prometheus port already in use gives a warning; the application runs', async () => {
  const busy: Server = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = (busy.address() as { port: number }).port;
  try {
    const run = await runFixture(join(FIXTURES, 'client-app.cjs'), {
      execArgv: REQUIRE_REGISTER,
      cwd: FIXTURES,
      args: [server.origin, server.origin, '2'],
      env: fixtureEnv({
        OTEL_METRICS_EXPORTER: 'prometheus',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
      }),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('client-app: done');
    expect(warningLines(run.stderr)).toEqual([
      expect.stringContaining(`the Prometheus exporter cannot listen on 127.0.0.1:${port} (EADDRINUSE); metrics are not served.`),
    ]);
  } finally {
    await new Promise<void>((resolve) => busy.close(() => resolve()));
  }
});
