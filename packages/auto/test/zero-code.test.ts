/*
 * Zero-code loading: unmodified CommonJS and ES module applications, run with
 * `node --require @connmetrics/auto/register` and `node --import
 * @connmetrics/auto/register`, export their connection metrics over OTLP
 * (http/protobuf, http/json and gRPC) to a receiver that decodes them with the
 * official protocol definitions. The export interval is the default minute,
 * so everything arrives in the one export made when the application ends.
 */
import { join } from 'node:path';
import {
  postgresAddress,
  redisAddress,
  requireReachable,
  runFixture,
  startHttpServer,
  startOtlpReceiver,
  type OtlpReceiver,
  type TestServer,
} from '@connmetrics/test-harness';
import {
  CONNECT,
  CREATED,
  DNS,
  FIXTURES,
  IMPORT_REGISTER,
  LIFETIME,
  OPEN,
  QUEUE,
  REQUIRE_REGISTER,
  REUSED,
  TLS,
  fixtureEnv,
  warningLines,
} from './helpers';

const REQUESTS = 20;

let fetchServer: TestServer;
let httpsServer: TestServer;
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver({ grpc: true });
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

const apps = [
  ['CommonJS app with --require', 'client-app.cjs', REQUIRE_REGISTER],
  ['ES module app with --import', 'client-app.mjs', IMPORT_REGISTER],
  ['CommonJS app with --import', 'client-app.cjs', IMPORT_REGISTER],
] as const;

const protocols = ['http/protobuf', 'http/json', 'grpc'] as const;

describe.each(apps)('%s', (_name, script, execArgv) => {
  test.each(protocols)('exports exact connection metrics over OTLP %s when the app ends', async (protocol) => {
    const endpoint = protocol === 'grpc' ? receiver.grpcEndpoint! : receiver.httpEndpoint;
    const run = await runFixture(join(FIXTURES, script), {
      execArgv: [...execArgv],
      cwd: FIXTURES,
      args: [fetchServer.origin, httpsServer.origin, String(REQUESTS)],
      env: fixtureEnv({
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_SERVICE_NAME: 'zero-code-app',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,team=platform',
      }),
    });
    expect({ code: run.code, warnings: warningLines(run.stderr) }).toEqual({ code: 0, warnings: [] });
    expect(run.stdout).toContain('client-app: done');

    // One export, made when the application ended (the interval is a minute).
    expect(receiver.rejected).toEqual([]);
    expect(receiver.exports.map((exported) => exported.transport)).toEqual([protocol]);
    const metrics = receiver.latest();

    expect(metrics.names()).toEqual(
      expect.arrayContaining([CREATED, REUSED, CONNECT, TLS, DNS, OPEN, LIFETIME, QUEUE]),
    );
    expect(metrics.resources()).toHaveLength(1);
    expect(metrics.resources()[0]).toMatchObject({
      'service.name': 'zero-code-app',
      'deployment.environment.name': 'test',
      team: 'platform',
      'telemetry.sdk.language': 'nodejs',
    });

    // The servers agree: one connection each.
    expect([fetchServer.acceptedConnections, httpsServer.acceptedConnections]).toEqual([1, 1]);

    for (const [server, scope] of [
      [fetchServer, '@connmetrics/instrumentation-undici'],
      [httpsServer, '@connmetrics/instrumentation-http'],
    ] as const) {
      const target = { 'server.address': 'localhost', 'server.port': server.port };
      expect(metrics.points(CREATED, target).map((point) => ({ attributes: point.attributes, scope: point.scope.name }))).toEqual([
        {
          attributes: { 'network.protocol.name': 'http', ...target, 'network.protocol.version': '1.1' },
          scope,
        },
      ]);
      expect(metrics.sum(CREATED, target)).toBe(1);
      expect(metrics.sum(REUSED, target)).toBe(REQUESTS - 1);
      expect(metrics.count(DNS, { ...target, 'dns.question.name': 'localhost' })).toBe(1);
      expect(metrics.count(CONNECT, target)).toBe(1);
      expect(metrics.count(TLS, { ...target, 'tls.protocol.version': '1.3', 'tls.resumed': false })).toBe(1);
      // time_in_queue is recorded only for requests that waited for a connection: the first one.
      expect(metrics.count(QUEUE, target)).toBe(1);
    }

    // The https Agent was destroyed before the end: its connection's lifetime
    // was recorded and it is no longer open. fetch's connection stays idle.
    const httpsTarget = { 'server.port': httpsServer.port };
    expect(metrics.count(LIFETIME, httpsTarget)).toBe(1);
    expect(metrics.sum(OPEN, httpsTarget)).toBe(0);
    expect(metrics.sum(OPEN, { 'server.port': fetchServer.port, 'http.connection.state': 'idle' })).toBe(1);
    expect(metrics.sum(OPEN, { 'server.port': fetchServer.port, 'http.connection.state': 'active' })).toBe(0);

    // Instruments as declared: monotonic counters with their units, histograms in seconds.
    const created = metrics.points(CREATED)[0]!;
    expect({ type: created.type, unit: created.unit, isMonotonic: created.isMonotonic, temporality: created.temporality }).toEqual({
      type: 'sum',
      unit: '{connection}',
      isMonotonic: true,
      temporality: 2,
    });
    expect(metrics.points(REUSED)[0]!.unit).toBe('{use}');
    expect(new Set([CONNECT, TLS, DNS, LIFETIME, QUEUE].map((name) => `${metrics.points(name)[0]!.type}:${metrics.points(name)[0]!.unit}`))).toEqual(
      new Set(['histogram:s']),
    );
  });
});

test('loaded twice (--require and --import): started once, every connection counted once', async () => {
  const run = await runFixture(join(FIXTURES, 'client-app.cjs'), {
    execArgv: [...REQUIRE_REGISTER, ...IMPORT_REGISTER],
    cwd: FIXTURES,
    args: [fetchServer.origin, httpsServer.origin, '5'],
    env: fixtureEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint }),
  });
  expect({ code: run.code, warnings: warningLines(run.stderr) }).toEqual({ code: 0, warnings: [] });
  expect(receiver.exports).toHaveLength(1);
  const metrics = receiver.latest();
  for (const server of [fetchServer, httpsServer]) {
    expect(metrics.sum(CREATED, { 'server.port': server.port })).toBe(1);
    expect(metrics.sum(REUSED, { 'server.port': server.port })).toBe(4);
  }
});

const dbApps = [
  ['CommonJS app with --require', 'db-app.cjs', REQUIRE_REGISTER],
  // ioredis is reached only through the ES module loader hook that --import registers.
  ['ES module app with --import', 'db-app.mjs', IMPORT_REGISTER],
] as const;

describe.each(dbApps)('%s using pg and ioredis', (_name, script, execArgv) => {
  test('exports pool checkouts and Redis commands served by one connection each', async () => {
    const pg = postgresAddress();
    const redis = redisAddress();
    await requireReachable('PostgreSQL', pg.host, pg.port);
    await requireReachable('Redis', redis.host, redis.port);
    const operations = 10;
    const run = await runFixture(join(FIXTURES, script), {
      execArgv: [...execArgv],
      cwd: FIXTURES,
      args: [String(operations)],
      env: fixtureEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.httpEndpoint,
        PGHOST: pg.host,
        PGPORT: String(pg.port),
        PGUSER: pg.user,
        PGDATABASE: pg.database,
        ...(pg.password === undefined ? {} : { PGPASSWORD: pg.password }),
        REDIS_URL: redis.url,
      }),
    });
    expect({ code: run.code, warnings: warningLines(run.stderr) }).toEqual({ code: 0, warnings: [] });
    expect(run.stdout).toContain('db-app: done');
    expect(receiver.exports.map((exported) => exported.transport)).toEqual(['http/protobuf']);
    const metrics = receiver.latest();

    const postgres = { 'network.protocol.name': 'postgresql', 'server.port': pg.port };
    expect(metrics.points(CREATED, postgres).map((point) => point.attributes)).toEqual([
      {
        'network.protocol.name': 'postgresql',
        'server.address': pg.host,
        'server.port': pg.port,
        'db.system.name': 'postgresql',
        'db.client.connection.pool.name': `${pg.host}:${pg.port}/${pg.database}`,
      },
    ]);
    expect(metrics.sum(CREATED, postgres)).toBe(1);
    expect(metrics.sum(REUSED, postgres)).toBe(operations - 1);
    expect(metrics.count(CONNECT, postgres)).toBe(1);
    expect(metrics.count('db.client.connection.wait_time', { 'db.client.connection.pool.name': `${pg.host}:${pg.port}/${pg.database}` })).toBe(operations);

    const redisTarget = { 'network.protocol.name': 'redis', 'server.port': redis.port };
    expect(metrics.sum(CREATED, redisTarget)).toBe(1);
    expect(metrics.sum(REUSED, redisTarget)).toBe(operations - 1);
    expect(metrics.count(CONNECT, redisTarget)).toBe(1);
  });
});
