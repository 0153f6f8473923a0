export { TestMetrics, MetricsSnapshot, type Filter } from './metrics';
export { certs } from './certs';
export { freePort, refusedPort } from './ports';
export { startHttpServer, type TestServer, type TestServerOptions } from './http-server';
export { postgresAddress, redisAddress, requireReachable, type PostgresAddress, type RedisAddress } from './services';
export { waitFor, sleep } from './wait';
export { runFixture, reportFixtureResult, type FixtureOptions, type FixtureRun } from './fixture';
export { throwingMeterProvider, captureDiag, type CapturedDiag } from './faults';
