import {
  CREATED,
  DB_COUNT,
  DB_WAIT_TIME,
  REUSED,
  instrumented,
  redisCli,
  startRedisCluster,
  startRedisServer,
  waitFor,
  type Instrumented,
  type RedisCluster,
  type RestartableRedisServer,
} from '@connmetrics/test-harness';
import { RedisConnectionInstrumentation } from '../src';
import { COUNTED_COPIES, PORT, POOL, STATE, acceptedConnections, load, poolOf } from './copies';

let server: RestartableRedisServer;
let cluster: RedisCluster;
let run: Instrumented<RedisConnectionInstrumentation>;

beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster(3)]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), cluster?.stop()]);
});
beforeEach(() => {
  run = instrumented(new RedisConnectionInstrumentation());
});
afterEach(async () => {
  await run.stop();
});

const accepted = (port: number) => acceptedConnections(redisCli(port, ['INFO', 'stats']));

describe.each(COUNTED_COPIES)('%s (major %s): createClientPool and createCluster', (copy) => {
  const redis = load(copy);

  test('a pool of 3 under 30 parallel commands: created 3, reused 27; used while BLPOPs block, idle after', async () => {
    const before = accepted(server.port);
    const pool = redis.createClientPool({ url: `redis://127.0.0.1:${server.port}` }, { minimum: 3, maximum: 3 });
    pool.on('error', () => {});
    await pool.connect();
    await Promise.all(Array.from({ length: 30 }, (_, i) => pool.set(`connmetrics:pool:${i}`, String(i))));
    expect(accepted(server.port) - before - 1).toBe(3);

    const name = { [POOL]: poolOf(server.port) };
    const counted = await run.metrics.collect();
    expect(counted.sum(CREATED, name)).toBe(3);
    expect(counted.sum(REUSED, name)).toBe(27);
    expect(counted.count(DB_WAIT_TIME, name)).toBe(30); // one per task handed a member client
    expect(counted.sum(DB_COUNT, { ...name, [STATE]: 'idle' })).toBe(3);

    const list = `connmetrics:pool:list:${copy}`;
    const popped = Promise.all([0, 1, 2].map(() => pool.blPop(list, 10)));
    await waitFor(() => (redisCli(server.port, ['CLIENT', 'LIST']).match(/ cmd=blpop /g) ?? []).length === 3, 'three BLPOPs to block');
    const blocked = await run.metrics.collect();
    expect(blocked.sum(DB_COUNT, { ...name, [STATE]: 'used' })).toBe(3);
    expect(blocked.sum(DB_COUNT, { ...name, [STATE]: 'idle' })).toBe(0);
    redisCli(server.port, ['RPUSH', list, 'a', 'b', 'c']);
    await popped;
    const released = await run.metrics.collect();
    expect(released.sum(DB_COUNT, { ...name, [STATE]: 'used' })).toBe(0);
    expect(released.sum(DB_COUNT, { ...name, [STATE]: 'idle' })).toBe(3);
    await pool.close();
    expect((await run.metrics.collect()).sum(DB_COUNT, name)).toBe(0);
  });

  test('a 3-master cluster: each node counted on its own, exactly as each server accepted connections', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `connmetrics:cluster:${copy}:${i}`);
    const nodeOf = cluster.nodeOfKey(keys);
    const before = new Map(cluster.ports.map((port) => [port, accepted(port)]));
    const client = redis.createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${cluster.ports[0]}` }] });
    client.on('error', () => {});
    await client.connect();
    for (const key of keys) await client.set(key, 'v');
    const snapshot = await run.metrics.collect();
    for (const port of cluster.ports) {
      const commands = keys.filter((key) => nodeOf.get(key) === port).length;
      const node = { [PORT]: port };
      const serverAccepted = accepted(port) - before.get(port)! - 1;
      expect(snapshot.sum(CREATED, node)).toBe(serverAccepted);
      // The discovery of the slots (CLUSTER SLOTS/SHARDS) is housekeeping, not a use.
      expect(snapshot.sum(REUSED, node)).toBe(commands - 1);
      expect(snapshot.sum(DB_COUNT, { ...node, [STATE]: 'idle' })).toBe(snapshot.sum(DB_COUNT, node));
    }
    await client.close();
  });
});
