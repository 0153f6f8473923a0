/*
 * Two instances of the instrumentation on one MeterProvider count each
 * connection, use and failure once: created equals what a proxy the test
 * starts accepted, and one refused attempt is failed 1.
 */
import {
  CREATED,
  FAILED,
  REUSED,
  TestMetrics,
  captureDiag,
  refusedPort,
  startRedisServer,
  startTcpProxy,
  type RestartableRedisServer,
  type TcpProxy,
} from '@connmetrics/test-harness';
import { RedisConnectionInstrumentation } from '../src';
import { COUNTED_COPIES, ERROR_TYPE, load } from './copies';

let server: RestartableRedisServer;
let proxy: TcpProxy;
beforeAll(async () => {
  server = await startRedisServer();
  proxy = await startTcpProxy({ host: server.host, port: server.port });
});
afterAll(async () => {
  await proxy?.close();
  await server?.stop();
});

test.each(COUNTED_COPIES)('%s: two instances on one MeterProvider: created = accepted connections, uses once each, one refused attempt failed 1', async (copy) => {
  const diag = captureDiag();
  const metrics = new TestMetrics();
  const instances = [new RedisConnectionInstrumentation(), new RedisConnectionInstrumentation()];
  try {
    for (const instance of instances) instance.setMeterProvider(metrics.meterProvider);
    const redis = load(copy);
    const acceptedBefore = proxy.accepted;
    const client = redis.createClient({ socket: { host: proxy.host, port: proxy.port } });
    client.on('error', () => {});
    await client.connect();
    for (let i = 0; i < 5; i += 1) await client.get('connmetrics:two-instances');
    await client.quit();
    const refused = redis.createClient({ socket: { host: '127.0.0.1', port: await refusedPort(), reconnectStrategy: false } });
    refused.on('error', () => {});
    const refusal = await refused.connect().then(
      () => undefined,
      (error: { code?: string }) => error.code,
    );
    const after = await metrics.collect();
    expect({
      created: after.sum(CREATED),
      accepted: proxy.accepted - acceptedBefore,
      reused: after.sum(REUSED),
      failed: after.sum(FAILED),
      refused: after.sum(FAILED, { [ERROR_TYPE]: refusal }),
      errors: diag.errors,
    }).toEqual({ created: 1, accepted: 1, reused: 4, failed: 1, refused: 1, errors: [] });
  } finally {
    for (const instance of instances) instance.disable();
    diag.restore();
    await metrics.shutdown();
  }
});
