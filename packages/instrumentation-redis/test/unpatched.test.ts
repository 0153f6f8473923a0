/*
 * node-redis loaded before the instrumentation (inside jest, whose module
 * registry bypasses the require hook, every copy is): connections are still
 * counted from the channels, the pool name falls back to host:port/db, and
 * one diag.warn says so and how to fix it.
 */
import { CREATED, REUSED, captureDiag, instrumented, startRedisServer, type RestartableRedisServer } from '@connmetrics/test-harness';
import { RedisConnectionInstrumentation } from '../src';
import { POOL, load, poolOf } from './copies';

let server: RestartableRedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

test('loaded first: counted, pool name host:port/db instead of `name`, warned once', async () => {
  const redis = load('redis');
  const logged = captureDiag();
  const run = instrumented(new RedisConnectionInstrumentation());
  try {
    const clients = [0, 1].map(() => redis.createClient({ url: `redis://127.0.0.1:${server.port}`, name: 'ignored' }));
    for (const client of clients) client.on('error', () => {});
    await Promise.all(clients.map((client: any) => client.connect()));
    for (const client of clients) for (let i = 0; i < 3; i += 1) await client.ping();
    const snapshot = await run.metrics.collect();
    expect(snapshot.sum(CREATED, { [POOL]: poolOf(server.port) })).toBe(2);
    expect(snapshot.sum(REUSED, { [POOL]: poolOf(server.port) })).toBe(4);
    const warnings = logged.all.filter((entry) => entry.level === 'warn').map((entry) => entry.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/redis \(@redis\/client\) was loaded before RedisConnectionInstrumentation was enabled.*--require @connmetrics\/auto\/register/);
    expect(logged.errors).toEqual([]);
    await Promise.all(clients.map((client: any) => client.quit()));
  } finally {
    logged.restore();
    await run.stop();
  }
});
