import { redisAddress, requireReachable } from '@connmetrics/test-harness';
import { COUNT, CREATED, CREATE_TIME, FAILED, IOREDIS_COPIES, POOL, REUSED, STATE, runScenario } from './scenario';

const redis = redisAddress();

beforeAll(async () => {
  await requireReachable('Redis', redis.host, redis.port);
});

interface KillFacts {
  killed: number;
  reply: [string, string];
  victimEvents: string[];
}

describe.each(IOREDIS_COPIES)('%s (%s): CLIENT KILL from a second client', (copy) => {
  test('the reconnect is a created connection; the resent BLPOP is one use; nothing is lost or counted twice', async () => {
    const run = await runScenario<KillFacts>('client-kill', copy, { host: redis.host, port: redis.port });
    expect(run.facts.killed).toBe(1);
    expect(run.facts.reply[1]).toBe('x'); // the BLPOP was answered on the new connection
    expect(run.facts.victimEvents).toEqual(['ready', 'close', 'reconnecting', 'ready', 'close']);
    const victim = { [POOL]: 'victim' };
    const killer = { [POOL]: 'killer' };

    // CLIENT ID + 8 GETs + a BLPOP in flight on the first connection.
    const blocked = run.snapshot('blocked');
    expect(blocked.sum(CREATED, victim)).toBe(1);
    expect(blocked.sum(REUSED, victim)).toBe(9);
    expect(blocked.sum(COUNT, { ...victim, [STATE]: 'used' })).toBe(1);
    expect(blocked.sum(COUNT, { ...victim, [STATE]: 'idle' })).toBe(0);

    // The second connection's 10 GETs: its first is its own, 9 are reused.
    // 20 uses in all = 2 created + 18 reused; the resent BLPOP is not a new use.
    const after = run.snapshot('afterCommands');
    expect(after.sum(CREATED, victim)).toBe(2);
    expect(after.sum(REUSED, victim)).toBe(18);
    expect(after.count(CREATE_TIME, victim)).toBe(2);
    expect(after.sum(COUNT, { ...victim, [STATE]: 'idle' })).toBe(1);
    expect(after.sum(COUNT, { ...victim, [STATE]: 'used' })).toBe(0);
    // CLIENT KILL, then RPUSH.
    expect(after.sum(CREATED, killer)).toBe(1);
    expect(after.sum(REUSED, killer)).toBe(1);
    expect(after.sum(FAILED)).toBe(0);

    const closed = run.snapshot('afterQuit');
    expect(closed.sum(CREATED, victim)).toBe(2);
    expect(closed.sum(REUSED, victim)).toBe(18);
    expect(closed.sum(COUNT)).toBe(0);
  });
});
