/*
 * What register starts, in-process: its own pipeline, or the global
 * MeterProvider another SDK registered (before or after it), never both.
 */
import { metrics } from '@opentelemetry/api';
import { TestMetrics, freePort, startHttpServer, type TestServer } from '@connmetrics/test-harness';
import { startConnectionMetrics, startConnectionMetricsSafely, type ConnectionMetrics } from '../src/start';

const CREATED = 'connmetrics.connection.created';

let server: TestServer;
let started: ConnectionMetrics | undefined;
let sdk: TestMetrics | undefined;

beforeAll(async () => {
  server = await startHttpServer();
});

afterEach(async () => {
  await started?.stop();
  started = undefined;
  await sdk?.shutdown();
  sdk = undefined;
  metrics.disable();
  for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_') || name.startsWith('CONNMETRICS_')) delete process.env[name];
});

afterAll(async () => {
  await server.close();
});

async function fetchOnce(): Promise<void> {
  await (await fetch(`${server.origin}/`, { headers: { connection: 'close' } })).text();
}

let prometheusPort: number;

/**
 * The exporters read process.env themselves, so the test sets it. The own
 * pipeline is observed through the Prometheus exporter: the OTLP exporters
 * load a module dynamically, which jest's module sandbox cannot do (they are
 * tested in real processes in zero-code.test.ts).
 */
async function env(): Promise<NodeJS.ProcessEnv> {
  prometheusPort = await freePort();
  process.env.OTEL_METRICS_EXPORTER = 'prometheus';
  process.env.OTEL_EXPORTER_PROMETHEUS_HOST = '127.0.0.1';
  process.env.OTEL_EXPORTER_PROMETHEUS_PORT = String(prometheusPort);
  process.env.CONNMETRICS_ENABLED_INSTRUMENTATIONS = 'undici';
  return process.env;
}

/** connmetrics_connection_created_total for the test server, as the own pipeline serves it. */
async function scrapedCreated(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${prometheusPort}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith('connmetrics_connection_created_total{') && candidate.includes(`server_port="${server.port}"`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

test('no other SDK: its own pipeline, never the global provider', async () => {
  started = startConnectionMetrics(await env());
  expect(started.mode).toBe('own');
  expect(started.instrumentations.map((instrumentation) => instrumentation.instrumentationName)).toEqual([
    '@connmetrics/instrumentation-undici',
  ]);
  // Not registered as the global provider: a later SDK must be able to register.
  expect(metrics.getMeterProvider()).not.toBe(started.meterProvider);
  await fetchOnce();
  await fetchOnce();
  expect(await scrapedCreated()).toBe(2);
});

test('an SDK registered before: joins its provider and starts no pipeline', async () => {
  sdk = new TestMetrics();
  metrics.setGlobalMeterProvider(sdk.meterProvider);
  started = startConnectionMetrics(await env());
  expect(started.mode).toBe('joined');
  expect(started.meterProvider).toBe(sdk.meterProvider);
  await fetchOnce();
  expect((await sdk.collect()).sum(CREATED, { 'server.port': server.port })).toBe(1);
  await expect(fetch(`http://127.0.0.1:${prometheusPort}/metrics`)).rejects.toThrow(); // no exporter was started
});

test('an SDK registered after: moves to its provider and stops its own pipeline', async () => {
  started = startConnectionMetrics(await env());
  expect(started.mode).toBe('own');
  await fetchOnce();
  expect(await scrapedCreated()).toBe(1);

  sdk = new TestMetrics();
  expect(metrics.setGlobalMeterProvider(sdk.meterProvider)).toBe(true);
  expect(started.mode).toBe('joined');
  expect(started.meterProvider).toBe(sdk.meterProvider);
  await fetchOnce();
  await fetchOnce();
  expect((await sdk.collect()).sum(CREATED, { 'server.port': server.port })).toBe(2);
  // The own pipeline shut down: its Prometheus endpoint is gone.
  await expect(fetch(`http://127.0.0.1:${prometheusPort}/metrics`)).rejects.toThrow();
});

test('OTEL_SDK_DISABLED=true starts nothing', () => {
  started = startConnectionMetrics({ OTEL_SDK_DISABLED: 'true' });
  expect({ mode: started.mode, instrumentations: started.instrumentations.length }).toEqual({ mode: 'disabled', instrumentations: 0 });
});

test('a failure while starting leaves the application running, with a warning', () => {
  const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    const hostile = new Proxy({} as Record<string, string>, {
      get() {
        throw new Error('environment unavailable');
      },
    });
    started = startConnectionMetricsSafely(hostile);
    expect(started.mode).toBe('none');
    expect(emitWarning).toHaveBeenCalledWith(
      'connmetrics: could not start; the application runs without connection metrics: environment unavailable',
      expect.objectContaining({ code: 'CONNMETRICS_CONFIG' }),
    );
  } finally {
    emitWarning.mockRestore();
  }
});
