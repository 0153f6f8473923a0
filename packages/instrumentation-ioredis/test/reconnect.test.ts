import { redisAddress, requireReachable } from '@connmetrics/test-harness';
import { CLOSED, CLOSE_REASON, COUNT, CREATED, CREATE_TIME, ERROR_TYPE, FAILED, IOREDIS_COPIES, POOL, REUSED, REUSE_FAILED, STATE, USES, runScenario } from './scenario';

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
  test('the killed connection is server_closed with one reuse failure (the BLPOP in flight); the reconnect is a created connection whose first use is the resent BLPOP', async () => {
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

    // The BLPOP broke with the first connection before its reply: a reuse failure
    // (it was that connection's 10th use), and the server closed the connection.
    // ioredis sent it again on the second connection, whose first use it is;
    // the 10 GETs after it are reused. 21 uses = 2 created + 19 reused.
    const after = run.snapshot('afterCommands');
    expect(after.sum(REUSE_FAILED, victim)).toBe(1);
    expect(after.sum(REUSE_FAILED, { ...victim, [ERROR_TYPE]: 'connection_closed' })).toBe(1);
    expect(after.sum(CLOSED, { ...victim, [CLOSE_REASON]: 'server_closed' })).toBe(1);
    expect(after.sum(CLOSED, victim)).toBe(1);
    expect([after.count(USES, victim), after.histogramSum(USES, victim)]).toEqual([1, 10]);
    expect(after.sum(CREATED, victim)).toBe(2);
    expect(after.sum(REUSED, victim)).toBe(19);
    expect(after.count(CREATE_TIME, victim)).toBe(2);
    expect(after.sum(COUNT, { ...victim, [STATE]: 'idle' })).toBe(1);
    expect(after.sum(COUNT, { ...victim, [STATE]: 'used' })).toBe(0);
    // CLIENT KILL, then RPUSH.
    expect(after.sum(CREATED, killer)).toBe(1);
    expect(after.sum(REUSED, killer)).toBe(1);
    expect(after.sum(FAILED)).toBe(0);

    const closed = run.snapshot('afterQuit');
    expect(closed.sum(CREATED, victim)).toBe(2);
    expect(closed.sum(REUSED, victim)).toBe(19);
    expect(closed.sum(CLOSED, { ...victim, [CLOSE_REASON]: 'client_closed' })).toBe(1); // quit()
    expect([closed.count(USES, victim), closed.histogramSum(USES, victim)]).toEqual([2, 10 + 11]);
    expect(closed.sum(REUSE_FAILED)).toBe(1);
    expect(closed.sum(COUNT)).toBe(0);
  });
});
