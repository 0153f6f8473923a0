/* The options of PostgresConnectionInstrumentation, each against the shared server. */
import { isIP } from 'node:net';
import { postgresAddress, requireReachable, CONNECT, CREATED, DNS, REUSED } from '@connmetrics/test-harness';
import { pool, runPostgresFixture } from './support/fixtures';

const { host, port, database } = postgresAddress();
const NAME = `${host}:${port}/${database}`;

beforeAll(async () => {
  await requireReachable('PostgreSQL', host, port);
});

test('poolName names a pool; a throwing hook falls back to the default name and is logged once; peer address, extra attributes, no socket phases', async () => {
  const { snapshots, values } = await runPostgresFixture<{ errors: string[] }>('options.js', 'options');
  const after = snapshots.after!;
  expect(after.sum(CREATED, pool('orders'))).toBe(1);
  expect(after.sum(REUSED, pool('orders'))).toBe(1);
  // Two pools whose hook threw, and one it left unnamed: all under the default name.
  expect(after.sum(CREATED, pool(NAME))).toBe(3);
  expect(after.sum(REUSED, pool(NAME))).toBe(3);
  expect(values.errors).toHaveLength(1);
  expect(values.errors[0]).toContain('poolName (user hook; the default name is used)');
  expect(after.attributeSets(CREATED)).toContainEqual({
    'network.protocol.name': 'postgresql',
    'server.address': host,
    'server.port': port,
    'db.system.name': 'postgresql',
    'db.client.connection.pool.name': 'orders',
    'deployment.environment.name': 'test',
    // The address connected to: the host itself when PGHOST is an IP address.
    'network.peer.address': isIP(host) ? host : expect.any(String),
  });
  expect(after.count(CONNECT)).toBe(0);
  expect(after.count(DNS)).toBe(0);
});
