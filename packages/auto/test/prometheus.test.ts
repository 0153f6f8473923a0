/*
 * OTEL_METRICS_EXPORTER=prometheus: a real Prometheus server (Debian's
 * package, which pnpm test installs: test/setup-services.mjs) scrapes an unmodified service loaded with
 * @connmetrics/auto/register, and its HTTP API shows the exact counts.
 */
import { join } from 'node:path';
import {
  freePort,
  startHttpServer,
  startProcess,
  startPrometheus,
  type PrometheusSample,
  type PrometheusServer,
  type RunningProcess,
  type TestServer,
} from '@connmetrics/test-harness';
import { FIXTURES, REQUIRE_REGISTER, fixtureEnv, warningLines } from './helpers';

const REQUESTS = 20;

let fetchServer: TestServer;
let httpsServer: TestServer;
let app: RunningProcess | undefined;
let prometheus: PrometheusServer | undefined;

beforeAll(async () => {
  fetchServer = await startHttpServer({ tls: true, host: 'localhost' });
  httpsServer = await startHttpServer({ tls: true, host: 'localhost' });
});

afterAll(async () => {
  await app?.stop();
  await prometheus?.close();
  await fetchServer.close();
  await httpsServer.close();
});

/** value by server_port label */
function byPort(samples: PrometheusSample[]): Record<string, number> {
  return Object.fromEntries(samples.map((sample) => [sample.labels['server_port'], sample.value]));
}

test('Prometheus scrapes connmetrics_connection_created_total and connmetrics_connection_reused_total', async () => {
  const port = await freePort();
  app = startProcess(join(FIXTURES, 'service-app.cjs'), {
    execArgv: REQUIRE_REGISTER,
    cwd: FIXTURES,
    args: [fetchServer.origin, httpsServer.origin, String(REQUESTS)],
    env: fixtureEnv({
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
      OTEL_SERVICE_NAME: 'prometheus-app',
    }),
  });
  await app.waitForLine(/^service-app: ready$/);
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`] });

  const fetchPort = String(fetchServer.port);
  const httpsPort = String(httpsServer.port);
  const created = await prometheus.waitForQuery('connmetrics_connection_created_total', (samples) => samples.length === 2);
  expect(byPort(created)).toEqual({ [fetchPort]: 1, [httpsPort]: 1 });
  expect(created.map((sample) => sample.labels)).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        __name__: 'connmetrics_connection_created_total',
        job: 'app',
        instance: `127.0.0.1:${port}`,
        network_protocol_name: 'http',
        network_protocol_version: '1.1',
        server_address: 'localhost',
        server_port: fetchPort,
      }),
    ]),
  );
  const reused = await prometheus.query('connmetrics_connection_reused_total');
  expect(byPort(reused)).toEqual({ [fetchPort]: REQUESTS - 1, [httpsPort]: REQUESTS - 1 });
  const lookups = await prometheus.query('sum by (server_port) (dns_lookup_duration_count)');
  expect(byPort(lookups)).toEqual({ [fetchPort]: 1, [httpsPort]: 1 });
  const handshakes = await prometheus.query('sum by (server_port) (connmetrics_tls_handshake_duration_count)');
  expect(byPort(handshakes)).toEqual({ [fetchPort]: 1, [httpsPort]: 1 });
  const ratio = await prometheus.query(
    'sum by (server_port) (connmetrics_connection_reused_total) / (sum by (server_port) (connmetrics_connection_reused_total) + sum by (server_port) (connmetrics_connection_created_total))',
  );
  expect(byPort(ratio)).toEqual({ [fetchPort]: (REQUESTS - 1) / REQUESTS, [httpsPort]: (REQUESTS - 1) / REQUESTS });

  // The service has no SIGTERM handler: it ends by the signal, as it would without connmetrics.
  app.kill('SIGTERM');
  expect(await app.exited()).toEqual({ code: null, signal: 'SIGTERM' });
  expect(warningLines(app.stderr)).toEqual([]);
});
