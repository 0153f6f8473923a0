import { postgresAddress, requireReachable } from '@connmetrics/test-harness';
import { CONNECT, CREATED, REUSED, WAIT_TIME, SERVER, pool, runPgFixture, sharedPoolName } from './support/fixtures';

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
});

describe('options', () => {
  test('poolName: a hook that throws leaves the default name, and the application unaffected', async () => {
    const { snapshots, values } = await runPgFixture<{ logged: string[] }>('options.js', 'poolNameThrows');
    const after = snapshots.after!;
    expect(after.sum(CREATED, pool(sharedPoolName()))).toBe(2);
    expect(after.sum(REUSED, pool(sharedPoolName()))).toBe(2);
    // Logged through the instrumentation's diag logger, once for the one pool.
    expect(values.logged).toEqual([
      '@connmetrics/instrumentation-pg: connmetrics: hook poolName (user hook; the default name is used) failed; the application is unaffected',
    ]);
  });

  test('poolName: a name looked up by pool', async () => {
    const { snapshots, values } = await runPgFixture<{ logged: string[] }>('options.js', 'poolNameFromWeakMap');
    expect(values.logged).toEqual([]);
    const after = snapshots.after!;
    expect(after.sum(CREATED, pool('checkout-service'))).toBe(2);
    expect(after.count(WAIT_TIME, pool('checkout-service'))).toBe(4);
  });

  test('recordPeerAddress adds network.peer.address to created and reused', async () => {
    const { snapshots } = await runPgFixture('options.js', 'peerAddress');
    const after = snapshots.after!;
    expect(after.sum(CREATED, { 'network.peer.address': '127.0.0.1' })).toBe(2);
    expect(after.sum(REUSED, { 'network.peer.address': '127.0.0.1' })).toBe(2);
  });

  test('recordSocketPhases: false records no socket phase, and still counts connections', async () => {
    const { snapshots } = await runPgFixture('options.js', 'noSocketPhases');
    const after = snapshots.after!;
    expect(after.sum(CREATED)).toBe(2);
    expect(after.count(CONNECT)).toBe(0);
    expect(after.count('connmetrics.tls.handshake.duration')).toBe(0);
  });

  test('connectionAttributes adds the hook’s attributes to every connection metric', async () => {
    const { snapshots } = await runPgFixture('options.js', 'connectionAttributes');
    const after = snapshots.after!;
    expect(after.sum(CREATED, { 'app.tier': `postgresql-${SERVER.port}` })).toBe(2);
    expect(after.sum(REUSED, { 'app.tier': `postgresql-${SERVER.port}` })).toBe(2);
    expect(after.count(CONNECT, { 'app.tier': `postgresql-${SERVER.port}` })).toBe(2);
  });
});
