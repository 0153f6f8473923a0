import {
  CLOSED,
  CLOSE_REASON,
  CREATED,
  REUSED,
  instrumented,
  redisCli,
  startRedisSentinel,
  startRedisServer,
  type Instrumented,
  type RedisServer,
  type RestartableRedisServer,
} from '@connmetrics/test-harness';
import { RedisConnectionInstrumentation } from '../src';
import { COUNTED_COPIES, PORT, acceptedConnections, load } from './copies';

let master: RestartableRedisServer;
let sentinel: RedisServer;
let run: Instrumented<RedisConnectionInstrumentation>;

beforeAll(async () => {
  master = await startRedisServer();
  sentinel = await startRedisSentinel(master.port);
});
afterAll(async () => {
  await sentinel?.stop();
  await master?.stop();
});
beforeEach(() => {
  run = instrumented(new RedisConnectionInstrumentation());
});
afterEach(async () => {
  await run.stop();
});

const accepted = (port: number) => acceptedConnections(redisCli(port, ['INFO', 'stats']));

describe.each(COUNTED_COPIES)('%s (major %s): createSentinel', (copy) => {
  const redis = load(copy);

  test('the master connection counts the commands; the sentinel connections are created and serve no use', async () => {
    const before = { master: accepted(master.port), sentinel: accepted(sentinel.port) };
    const client = redis.createSentinel({ name: 'mymaster', sentinelRootNodes: [{ host: '127.0.0.1', port: sentinel.port }] });
    client.on('error', () => {});
    await client.connect();
    for (let i = 0; i < 10; i += 1) await client.ping();
    const snapshot = await run.metrics.collect();
    // The master's connections, as the master accepted them; its first PING is its own.
    expect(snapshot.sum(CREATED, { [PORT]: master.port })).toBe(accepted(master.port) - before.master - 1);
    expect(snapshot.sum(CREATED, { [PORT]: master.port })).toBe(1);
    expect(snapshot.sum(REUSED, { [PORT]: master.port })).toBe(9);
    // The sentinel's: discovery and its +switch-master subscription; SENTINEL commands are housekeeping.
    expect(snapshot.sum(CREATED, { [PORT]: sentinel.port })).toBe(accepted(sentinel.port) - before.sentinel - 1);
    expect(snapshot.sum(REUSED, { [PORT]: sentinel.port })).toBe(0);
    await client.close();
    const closed = await run.metrics.collect();
    expect(closed.sum(CLOSED, { [PORT]: master.port, [CLOSE_REASON]: 'client_closed' })).toBe(1);
  });
});
