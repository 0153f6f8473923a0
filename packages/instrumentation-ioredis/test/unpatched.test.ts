/*
 * Inside jest, `require('ioredis')` bypasses Node's module loader, so the
 * module patch never applies: this is a copy of ioredis loaded without the
 * instrumentation's patch (as when an application loads ioredis before
 * enabling it). Its tracing channel messages name no client; they must be
 * ignored, never attributed to another client nor thrown into ioredis.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import Redis from 'ioredis';
import { TestMetrics, redisAddress, requireReachable } from '@connmetrics/test-harness';
import { IORedisConnectionInstrumentation } from '../src';

const redis = redisAddress();

test('an unpatched copy: commands work, and its channel messages are not counted', async () => {
  await requireReachable('Redis', redis.host, redis.port);
  const metrics = new TestMetrics();
  const instrumentation = new IORedisConnectionInstrumentation();
  instrumentation.setMeterProvider(metrics.meterProvider);
  expect((Redis.prototype.sendCommand as { __original?: unknown }).__original).toBeUndefined();
  expect(diagnosticsChannel.channel('tracing:ioredis:command:start').hasSubscribers).toBe(true);
  const client = new Redis({ host: redis.host, port: redis.port, lazyConnect: true });
  try {
    await client.connect();
    await client.set('connmetrics:unpatched', '1');
    expect(await client.get('connmetrics:unpatched')).toBe('1');
    const snapshot = await metrics.collect();
    expect(snapshot.sum('connmetrics.connection.created')).toBe(0);
    expect(snapshot.sum('connmetrics.connection.reused')).toBe(0);
    expect(snapshot.sum('db.client.connection.count')).toBe(0);
  } finally {
    await client.quit();
    instrumentation.disable();
    await metrics.shutdown();
  }
});
