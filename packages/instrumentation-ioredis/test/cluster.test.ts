import { COUNT, CREATED, FAILED, IOREDIS_COPIES, POOL, REUSED, STATE, poolOf, runScenario } from './scenario';
import { startRedisCluster, type RedisCluster } from '@connmetrics/test-harness';

const REFRESHER = 'ioredis-cluster(refresher)';
const KEYS = Array.from({ length: 30 }, (_, index) => `connmetrics:cluster:${index}`);
let cluster: RedisCluster;
/** How many of KEYS each node (port) serves. */
let keysPerNode: Map<number, number>;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  keysPerNode = new Map(cluster.ports.map((port) => [port, 0]));
  for (const port of cluster.nodeOfKey(KEYS).values()) keysPerNode.set(port, (keysPerNode.get(port) ?? 0) + 1);
  // The scenario is only meaningful if every node serves several keys.
  for (const count of keysPerNode.values()) expect(count).toBeGreaterThanOrEqual(2);
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

describe.each(IOREDIS_COPIES)('%s (%s): Cluster of three masters', (copy) => {
  test('one connection per node, uses per node exact for a known key set; slot refreshes are temporary connections with no uses', async () => {
    const run = await runScenario('cluster', copy, { host: cluster.host, ports: cluster.ports, keys: KEYS });
    const startupNode = cluster.ports[0];
    const refresher = { [POOL]: REFRESHER };

    // Connecting read CLUSTER SLOTS through one temporary connection to the startup node.
    const ready = run.snapshot('ready');
    expect(ready.sum(CREATED, { ...refresher, 'server.port': startupNode })).toBe(1);
    expect(ready.sum(CREATED, refresher)).toBe(1);
    expect(ready.sum(REUSED)).toBe(0); // CLUSTER SLOTS and the CLUSTER INFO ready check are no uses

    const after = run.snapshot('afterCommands');
    for (const port of cluster.ports) {
      const node = { [POOL]: poolOf(port), 'server.address': '127.0.0.1', 'server.port': port };
      expect(after.sum(CREATED, node)).toBe(1);
      expect(after.sum(REUSED, node)).toBe(keysPerNode.get(port)! - 1);
      expect(after.sum(COUNT, { ...node, [STATE]: 'idle' })).toBe(1);
    }
    expect(after.sum(REUSED)).toBe(KEYS.length - cluster.ports.length);
    expect(after.sum(CREATED)).toBe(cluster.ports.length + 1);
    expect(after.sum(FAILED)).toBe(0);

    // An explicit refresh opens one more temporary connection (to a random node), and uses nothing.
    const refreshed = run.snapshot('afterRefresh');
    expect(refreshed.sum(CREATED, refresher)).toBe(2);
    expect(refreshed.sum(REUSED, refresher)).toBe(0);
    expect(refreshed.sum(REUSED)).toBe(KEYS.length - cluster.ports.length);
    expect(refreshed.sum(COUNT, refresher)).toBe(0);

    const closed = run.snapshot('afterQuit');
    expect(closed.sum(COUNT)).toBe(0);
    expect(closed.sum(CREATED)).toBe(cluster.ports.length + 2);
    expect(closed.sum(REUSED)).toBe(KEYS.length - cluster.ports.length); // QUIT to each node is no use
  });
});
