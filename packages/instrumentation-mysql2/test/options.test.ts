import { CONNECT, CREATED, REUSED, WAIT_TIME, pool, requireMysql, runMySQL2Fixture } from './support/fixtures';

beforeAll(requireMysql);

describe('options', () => {
  test('poolName: a hook that throws leaves the default name, logs once, and leaves the application unaffected', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{ logged: string[] }>('options.js', 'poolNameThrows');
    const after = snapshots.after!;
    // Two pools that share the default name.
    expect(after.sum(CREATED, pool('127.0.0.1:3306/test'))).toBe(2);
    expect(after.sum(REUSED, pool('127.0.0.1:3306/test'))).toBe(2);
    expect(after.count(WAIT_TIME, pool('127.0.0.1:3306/test'))).toBe(4);
    expect(values.logged).toEqual([
      '@connmetrics/instrumentation-mysql2: connmetrics: hook poolName (user hook; the default name is used) failed; the application is unaffected: Error: no name',
    ]);
  });

  test('recordPeerAddress adds network.peer.address to created and reused', async () => {
    const { snapshots } = await runMySQL2Fixture('options.js', 'peerAddress');
    const after = snapshots.after!;
    expect(after.sum(CREATED, { 'network.peer.address': '127.0.0.1' })).toBe(3);
    expect(after.sum(REUSED, { 'network.peer.address': '127.0.0.1' })).toBe(3);
  });

  test('recordSocketPhases: false records no socket phase, and still counts connections', async () => {
    const { snapshots } = await runMySQL2Fixture('options.js', 'noSocketPhases');
    const after = snapshots.after!;
    expect(after.sum(CREATED)).toBe(3);
    expect(after.count(CONNECT)).toBe(0);
  });

  test('connectionAttributes adds the hook’s attributes to every connection metric', async () => {
    const { snapshots } = await runMySQL2Fixture('options.js', 'connectionAttributes');
    const after = snapshots.after!;
    expect(after.sum(CREATED, { 'app.tier': 'mysql-3306' })).toBe(3);
    expect(after.sum(REUSED, { 'app.tier': 'mysql-3306' })).toBe(3);
    expect(after.count(CONNECT, { 'app.tier': 'mysql-3306' })).toBe(3);
  });
});
