import { redisAddress, requireReachable } from '@connmetrics/test-harness';
import { COUNT, CONNECT, CREATED, CREATE_TIME, DNS, FAILED, IOREDIS_COPIES, POOL, REUSED, STATE, TLS, poolOf, runScenario } from './scenario';

const redis = redisAddress();

beforeAll(async () => {
  await requireReachable('Redis', redis.host, redis.port);
});

describe.each(IOREDIS_COPIES)('%s (%s): commands on one connection', (copy) => {
  test('50 sequential commands: created 1, reused 49; QUIT is no use and empties the gauge', async () => {
    const run = await runScenario('sequential', copy, { host: redis.host, port: redis.port, commands: 50 });
    const pool = { [POOL]: poolOf(redis.port) };

    const after = run.snapshot('afterCommands');
    expect(after.sum(CREATED, pool)).toBe(1);
    expect(after.sum(REUSED, pool)).toBe(49);
    expect(after.sum(FAILED)).toBe(0);
    expect(after.count(CREATE_TIME, pool)).toBe(1);
    expect(after.count(CONNECT, pool)).toBe(1);
    expect(after.count(DNS)).toBe(0); // an IP address needs no lookup
    expect(after.count(TLS)).toBe(0);
    expect(after.sum(COUNT, { ...pool, [STATE]: 'idle' })).toBe(1);
    expect(after.sum(COUNT, { ...pool, [STATE]: 'used' })).toBe(0);
    expect(after.points(CREATED)[0].attributes).toEqual({
      'network.protocol.name': 'redis',
      'db.system.name': 'redis',
      'server.address': '127.0.0.1',
      'server.port': redis.port,
      [POOL]: poolOf(redis.port),
    });

    const closed = run.snapshot('afterQuit');
    expect(closed.sum(CREATED)).toBe(1);
    expect(closed.sum(REUSED)).toBe(49);
    expect(closed.sum(COUNT)).toBe(0);
  });

  test('50 commands issued before ready wait in the offline queue: each is one use', async () => {
    const run = await runScenario<{ statusAtFirstCommand: Record<string, string> }>('offline-queue', copy, {
      host: redis.host,
      port: redis.port,
      commands: 50,
    });
    expect(run.facts.statusAtFirstCommand).toEqual({ eager: 'connecting', lazy: 'wait' });
    const after = run.snapshot('afterCommands');
    for (const name of ['eager', 'lazy']) {
      expect(after.sum(CREATED, { [POOL]: name })).toBe(1);
      expect(after.sum(REUSED, { [POOL]: name })).toBe(49);
      expect(after.sum(COUNT, { [POOL]: name, [STATE]: 'idle' })).toBe(1);
    }
    expect(after.sum(FAILED)).toBe(0);
    expect(run.snapshot('afterQuit').sum(COUNT)).toBe(0);
  });

  test('options: recordPeerAddress adds network.peer.address; recordSocketPhases: false records no phases', async () => {
    const run = await runScenario('sequential', copy, {
      host: redis.host,
      port: redis.port,
      commands: 3,
      config: { recordPeerAddress: true, recordSocketPhases: false },
    });
    const after = run.snapshot('afterCommands');
    expect(after.sum(CREATED, { 'network.peer.address': '127.0.0.1' })).toBe(1);
    expect(after.sum(REUSED, { 'network.peer.address': '127.0.0.1' })).toBe(2);
    expect(after.count(CONNECT)).toBe(0);
    expect(after.count(CREATE_TIME)).toBe(1);
  });
});
