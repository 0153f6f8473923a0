/*
 * getConnectionInstrumentations(): every instrumentation by short name, each
 * configured or left out by the config and the CONNMETRICS_* variables, and
 * working once registered.
 */
import * as http from 'node:http';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { GrpcConnectionInstrumentation } from '@connmetrics/instrumentation-grpc';
import { PostgresConnectionInstrumentation } from '@connmetrics/instrumentation-postgres';
import { HttpConnectionInstrumentation } from '@connmetrics/instrumentation-http';
import { IORedisConnectionInstrumentation } from '@connmetrics/instrumentation-ioredis';
import { MySQL2ConnectionInstrumentation } from '@connmetrics/instrumentation-mysql2';
import { RedisConnectionInstrumentation } from '@connmetrics/instrumentation-redis';
import { PgConnectionInstrumentation } from '@connmetrics/instrumentation-pg';
import { UndiciConnectionInstrumentation } from '@connmetrics/instrumentation-undici';
import { TestMetrics, startHttpServer, type MetricsSnapshot } from '@connmetrics/test-harness';
import { CONNECTION_INSTRUMENTATION_NAMES, getConnectionInstrumentations } from '../src';
import { selectInstrumentations } from '../src/instrumentations';

const CREATED = 'connmetrics.connection.created';
const REUSED = 'connmetrics.connection.reused';

let created: Instrumentation[] = [];
const keep = (instrumentations: Instrumentation[]) => {
  created.push(...instrumentations);
  return instrumentations;
};

afterEach(() => {
  for (const instrumentation of created) instrumentation.disable();
  created = [];
  delete process.env.CONNMETRICS_ENABLED_INSTRUMENTATIONS;
  delete process.env.CONNMETRICS_DISABLED_INSTRUMENTATIONS;
});

test('all six, in a fixed order, each of its package', () => {
  const instrumentations = keep(getConnectionInstrumentations());
  expect(CONNECTION_INSTRUMENTATION_NAMES).toEqual(['undici', 'http', 'pg', 'ioredis', 'redis', 'grpc', 'mysql2', 'postgres']);
  expect(instrumentations.map((instrumentation) => instrumentation.constructor)).toEqual([
    UndiciConnectionInstrumentation,
    HttpConnectionInstrumentation,
    PgConnectionInstrumentation,
    IORedisConnectionInstrumentation,
    RedisConnectionInstrumentation,
    GrpcConnectionInstrumentation,
    MySQL2ConnectionInstrumentation,
    PostgresConnectionInstrumentation,
  ]);
  expect(instrumentations.map((instrumentation) => instrumentation.instrumentationName)).toEqual([
    '@connmetrics/instrumentation-undici',
    '@connmetrics/instrumentation-http',
    '@connmetrics/instrumentation-pg',
    '@connmetrics/instrumentation-ioredis',
    '@connmetrics/instrumentation-redis',
    '@connmetrics/instrumentation-grpc',
    '@connmetrics/instrumentation-mysql2',
    '@connmetrics/instrumentation-postgres',
  ]);
});

test('each entry of the config goes to its instrumentation; enabled: false leaves one out', () => {
  const instrumentations = keep(
    getConnectionInstrumentations({ undici: { recordPeerAddress: true }, http: { enabled: false }, pg: { recordSocketPhases: false } }),
  );
  expect(instrumentations.map((instrumentation) => instrumentation.instrumentationName)).toEqual([
    '@connmetrics/instrumentation-undici',
    '@connmetrics/instrumentation-pg',
    '@connmetrics/instrumentation-ioredis',
    '@connmetrics/instrumentation-redis',
    '@connmetrics/instrumentation-grpc',
    '@connmetrics/instrumentation-mysql2',
    '@connmetrics/instrumentation-postgres',
  ]);
  expect(instrumentations[0]!.getConfig()).toMatchObject({ recordPeerAddress: true });
  expect(instrumentations[1]!.getConfig()).toMatchObject({ recordSocketPhases: false });
  expect(instrumentations[2]!.getConfig()).not.toHaveProperty('recordPeerAddress');
});

test('CONNMETRICS_ENABLED_INSTRUMENTATIONS and CONNMETRICS_DISABLED_INSTRUMENTATIONS select by short name', () => {
  process.env.CONNMETRICS_ENABLED_INSTRUMENTATIONS = ' Undici , pg,grpc';
  process.env.CONNMETRICS_DISABLED_INSTRUMENTATIONS = 'grpc';
  const instrumentations = keep(getConnectionInstrumentations());
  expect(instrumentations.map((instrumentation) => instrumentation.constructor)).toEqual([
    UndiciConnectionInstrumentation,
    PgConnectionInstrumentation,
  ]);
});

test.each([
  [{}, {}, ['undici', 'http', 'pg', 'ioredis', 'redis', 'grpc', 'mysql2', 'postgres']],
  [{ CONNMETRICS_ENABLED_INSTRUMENTATIONS: 'http' }, {}, ['http']],
  [{ CONNMETRICS_DISABLED_INSTRUMENTATIONS: 'http,ioredis' }, {}, ['undici', 'pg', 'redis', 'grpc', 'mysql2', 'postgres']],
  // The environment switches off what the code switched on: operators decide.
  [{ CONNMETRICS_DISABLED_INSTRUMENTATIONS: 'pg' }, { pg: { enabled: true } }, ['undici', 'http', 'ioredis', 'redis', 'grpc', 'mysql2', 'postgres']],
  [{ CONNMETRICS_ENABLED_INSTRUMENTATIONS: 'pg,http' }, { http: { enabled: false } }, ['pg']],
  [{ CONNMETRICS_ENABLED_INSTRUMENTATIONS: '' }, {}, ['undici', 'http', 'pg', 'ioredis', 'redis', 'grpc', 'mysql2', 'postgres']],
] as const)('env %j with config %j selects %j', (env, config, expected) => {
  expect(selectInstrumentations(config, env)).toEqual(expected);
});

/**
 * Sum of a counter over every scope: several instrumentations record the same
 * metric names, and MetricsSnapshot.sum() reads the first scope only.
 */
function total(snapshot: MetricsSnapshot, name: string, port: number): number {
  return snapshot.metrics
    .filter((metric) => metric.descriptor.name === name)
    .flatMap((metric) => metric.dataPoints as Array<{ attributes: Record<string, unknown>; value: unknown }>)
    .filter((point) => point.attributes['server.port'] === port)
    .reduce((sum, point) => sum + (point.value as number), 0);
}

test('the instrumentations record once registered with a MeterProvider', async () => {
  const metrics = new TestMetrics();
  const instrumentations = keep(getConnectionInstrumentations());
  registerInstrumentations({ instrumentations, meterProvider: metrics.meterProvider });
  const httpServer = await startHttpServer();
  const fetchServer = await startHttpServer();
  const agent = new http.Agent({ keepAlive: true });
  try {
    for (let i = 0; i < 5; i += 1) {
      await new Promise<void>((resolve, reject) =>
        http.get(`${httpServer.origin}/`, { agent }, (response) => response.resume().on('end', resolve)).on('error', reject),
      );
    }
    for (let i = 0; i < 5; i += 1) {
      await (await fetch(`${fetchServer.origin}/`)).text();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const snapshot = await metrics.collect();
    for (const server of [httpServer, fetchServer]) {
      expect({ created: total(snapshot, CREATED, server.port), reused: total(snapshot, REUSED, server.port) }).toEqual({ created: 1, reused: 4 });
      expect(server.acceptedConnections).toBe(1);
    }
    const scopes = (name: string) => snapshot.metrics.filter((metric) => metric.descriptor.name === name).length;
    expect(scopes(CREATED)).toBe(2); // undici and http, one scope each
  } finally {
    agent.destroy();
    await httpServer.close();
    await fetchServer.close();
    await metrics.shutdown();
  }
});
