import { redisAddress, requireReachable } from '@connmetrics/test-harness';
import { CLOSED, CLOSE_REASON, CREATED, ERROR_TYPE, IDLE_TIME, IOREDIS_COPIES, POOL, REUSED, REUSE_FAILED, USES, runScenario } from './scenario';

const redis = redisAddress();

beforeAll(async () => {
  await requireReachable('Redis', redis.host, redis.port);
});

describe.each(IOREDIS_COPIES)('%s (%s): why connections closed', (copy) => {
  test('a new client per command (quit() after it): every connection served 1 use and was client_closed', async () => {
    const run = await runScenario<{ connections: number }>('close-reasons', copy, { host: redis.host, port: redis.port, scenario: 'perCommand' });
    expect(run.facts.connections).toBe(5); // five distinct CLIENT IDs
    const after = run.snapshot('after');
    const pool = { [POOL]: 'per-command' };
    expect(after.sum(CREATED, pool)).toBe(5);
    expect(after.sum(REUSED, pool)).toBe(0);
    expect(after.sum(CLOSED, { ...pool, [CLOSE_REASON]: 'client_closed' })).toBe(5);
    expect(after.sum(CLOSED, pool)).toBe(5);
    expect(after.sum(CLOSED, { ...pool, [ERROR_TYPE]: undefined })).toBe(5);
    // Five connections, five uses: every one in the first bucket (uses = 1).
    expect([after.count(USES, pool), after.histogramSum(USES, pool)]).toEqual([5, 5]);
    expect(after.count(IDLE_TIME, { ...pool, [CLOSE_REASON]: 'client_closed' })).toBe(5);
    expect(after.sum(REUSE_FAILED)).toBe(0);
  });

  test('CLIENT KILL of an idle connection: server_closed, no reuse failure (ioredis reconnected before the next command, which succeeded)', async () => {
    const run = await runScenario<{ killed: number; ids: [boolean, string] }>('close-reasons', copy, {
      host: redis.host,
      port: redis.port,
      scenario: 'killedIdle',
    });
    expect(run.facts.killed).toBe(1);
    expect(run.facts.ids).toEqual([true, 'number']); // the next command ran on a new connection
    const killed = run.snapshot('killed');
    const victim = { [POOL]: 'victim' };
    expect(killed.sum(CLOSED, { ...victim, [CLOSE_REASON]: 'server_closed' })).toBe(1);
    expect(killed.sum(CLOSED, victim)).toBe(1);
    expect(killed.count(IDLE_TIME, { ...victim, [CLOSE_REASON]: 'server_closed' })).toBe(1);
    expect([killed.count(USES, victim), killed.histogramSum(USES, victim)]).toEqual([1, 5]);
    expect(killed.sum(REUSE_FAILED)).toBe(0);
    expect(killed.sum(CREATED, victim)).toBe(2);
    expect(killed.sum(REUSED, victim)).toBe(4);
    const after = run.snapshot('after');
    expect(after.sum(CLOSED, { ...victim, [CLOSE_REASON]: 'client_closed' })).toBe(1);
    expect(after.sum(CLOSED, { [POOL]: 'killer', [CLOSE_REASON]: 'client_closed' })).toBe(1);
  });

  test('disconnect(): client_closed, with the uses it served', async () => {
    const run = await runScenario('close-reasons', copy, { host: redis.host, port: redis.port, scenario: 'disconnect' });
    const after = run.snapshot('after');
    const pool = { [POOL]: 'disconnected' };
    expect(after.sum(CLOSED, { ...pool, [CLOSE_REASON]: 'client_closed' })).toBe(1);
    expect(after.sum(CLOSED, pool)).toBe(1);
    expect([after.count(USES, pool), after.histogramSum(USES, pool)]).toEqual([1, 3]);
  });

  test('a connection reset (RST) with a BLPOP in flight: closed{error, ECONNRESET}, reuse_failed{ECONNRESET} 1; ioredis resends it and the application sees it succeed', async () => {
    const run = await runScenario<{ reply: [string, string]; errors: string[]; accepted: number }>('close-reasons', copy, {
      host: redis.host,
      port: redis.port,
      scenario: 'reset',
    });
    expect(run.facts.reply[1]).toBe('x');
    expect(run.facts.errors).toEqual(['ECONNRESET']); // what ioredis emitted
    expect(run.facts.accepted).toBe(2); // the proxy's view: the first connection and the reconnect
    const reset = run.snapshot('reset');
    const pool = { [POOL]: 'reset' };
    expect(reset.sum(CLOSED, { ...pool, [CLOSE_REASON]: 'error', [ERROR_TYPE]: 'ECONNRESET' })).toBe(1);
    expect(reset.sum(CLOSED, pool)).toBe(1);
    expect(reset.sum(REUSE_FAILED, { ...pool, [ERROR_TYPE]: 'ECONNRESET' })).toBe(1);
    expect(reset.sum(REUSE_FAILED)).toBe(1);
    expect(reset.count(IDLE_TIME, pool)).toBe(0); // a command was in flight
    expect([reset.count(USES, pool), reset.histogramSum(USES, pool)]).toEqual([1, 4]);
    expect(reset.sum(CREATED, pool)).toBe(2);
    expect(reset.sum(REUSED, pool)).toBe(3); // the second connection's first use is the resent BLPOP
  });
});
