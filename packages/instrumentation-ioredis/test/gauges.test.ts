import { redisAddress, requireReachable } from '@connmetrics/test-harness';
import { COUNT, CREATED, IOREDIS_COPIES, POOL, REUSED, STATE, runScenario } from './scenario';

const redis = redisAddress();

beforeAll(async () => {
  await requireReachable('Redis', redis.host, redis.port);
});

describe.each(IOREDIS_COPIES)('%s (%s): db.client.connection.count and batches', (copy) => {
  test('a connection is used while a command is in flight and idle otherwise; pipelines and MULTI count each command', async () => {
    const run = await runScenario('gauges', copy, { host: redis.host, port: redis.port });
    const blocked = { [POOL]: 'blocked' };
    const other = { [POOL]: 'other' };

    const during = run.snapshot('blocked');
    expect(during.sum(COUNT, { ...blocked, [STATE]: 'used' })).toBe(1);
    expect(during.sum(COUNT, { ...blocked, [STATE]: 'idle' })).toBe(0);
    expect(during.sum(COUNT, { ...other, [STATE]: 'idle' })).toBe(1); // ready, not used yet
    expect(during.sum(COUNT, { ...other, [STATE]: 'used' })).toBe(0);

    const unblocked = run.snapshot('unblocked');
    expect(unblocked.sum(COUNT, { ...blocked, [STATE]: 'used' })).toBe(0);
    expect(unblocked.sum(COUNT, { ...blocked, [STATE]: 'idle' })).toBe(1);
    expect(unblocked.sum(REUSED, blocked)).toBe(0); // the BLPOP was the connection's first use
    expect(unblocked.sum(REUSED, other)).toBe(0); // so was the RPUSH

    expect(run.snapshot('afterPipeline').sum(REUSED, other)).toBe(10); // 10 pipelined INCRs
    expect(run.snapshot('afterMulti').sum(REUSED, other)).toBe(14); // MULTI, 2 INCRs, EXEC

    const closed = run.snapshot('afterQuit');
    expect(closed.sum(CREATED, other)).toBe(1);
    expect(closed.sum(COUNT)).toBe(0);
    expect(closed.points(COUNT).every((point) => point.value === 0)).toBe(true);
  });
});
