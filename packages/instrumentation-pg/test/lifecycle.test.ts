import { postgresAddress, requireReachable } from '@connmetrics/test-harness';
import { CLOSED, COUNT, CREATED, MAX, REUSED, USE_TIME, WAIT_TIME, idle, pool, runPgFixture } from './support/fixtures';

interface Footprint {
  wrapped: number;
  poolReleaseListeners: number;
  /** Listeners on client.connection for error, errorMessage, end, readyForQuery, sslconnect. */
  connectionListeners: number[];
}

beforeAll(async () => {
  const { host, port } = postgresAddress();
  await requireReachable('PostgreSQL', host, port);
});

const bare = { 'db.client.connection.pool.name': undefined };

describe('lifecycle', () => {
  test('disable() removes every patch and listener and stops recording; enable() records again; both are safe twice', async () => {
    const { snapshots, values } = await runPgFixture<Record<'enabled' | 'disabled' | 'reenabled', Footprint>>(
      'lifecycle.js',
      'disableEnable',
    );
    // pg's own listeners on a connected client's Connection: one each.
    expect(values.enabled).toEqual({ wrapped: 4, poolReleaseListeners: 1, connectionListeners: [2, 2, 2, 1, 1] });
    expect(values.disabled).toEqual({ wrapped: 0, poolReleaseListeners: 0, connectionListeners: [1, 1, 1, 1, 1] });
    expect(values.reenabled).toEqual({ wrapped: 4, poolReleaseListeners: 1, connectionListeners: [2, 2, 2, 1, 1] });

    const enabled = snapshots.enabled!;
    expect(enabled.sum(CREATED, pool('lifecycle'))).toBe(1);
    expect(enabled.sum(REUSED, pool('lifecycle'))).toBe(2);
    expect(enabled.sum(CREATED, bare)).toBe(1);
    expect(enabled.sum(REUSED, bare)).toBe(2);

    // Disabled: nothing more is counted, and the pool's gauges report 0 once.
    const disabled = snapshots.disabled!;
    expect(disabled.sum(REUSED, pool('lifecycle'))).toBe(2);
    expect(disabled.sum(REUSED, bare)).toBe(2);
    expect(disabled.sum(CREATED, pool('while-disabled'))).toBe(0);
    expect(disabled.sum(COUNT, pool('lifecycle'))).toBe(0);
    expect(disabled.sum(MAX, pool('lifecycle'))).toBe(0);
    expect(disabled.count(WAIT_TIME, pool('lifecycle'))).toBe(3);

    // Enabled again: connections opened earlier are adopted (their uses are reused), new ones created.
    const reenabled = snapshots['re-enabled']!;
    expect(reenabled.sum(CREATED, pool('lifecycle'))).toBe(1);
    expect(reenabled.sum(REUSED, pool('lifecycle'))).toBe(2 + 4);
    expect(reenabled.sum(REUSED, bare)).toBe(2 + 4);
    expect(reenabled.sum(CREATED, pool('fresh'))).toBe(1);
    expect(reenabled.sum(REUSED, pool('fresh'))).toBe(2);
    expect(reenabled.sum(COUNT, idle('lifecycle'))).toBe(1);
    expect(reenabled.sum(MAX, pool('lifecycle'))).toBe(1);
    expect(reenabled.count(USE_TIME, pool('lifecycle'))).toBe(3 + 4);
    expect(reenabled.points(COUNT, pool('while-disabled'))).toEqual([]);

    // The adopted and the new connections are followed until they close; the one opened while disabled is not.
    const ended = snapshots.ended!;
    expect(ended.sum(CLOSED, pool('lifecycle'))).toBe(1);
    expect(ended.sum(CLOSED, pool('fresh'))).toBe(1);
    expect(ended.sum(CLOSED, bare)).toBe(1);
    expect(ended.sum(CLOSED, pool('while-disabled'))).toBe(0);
  });

  test.each(['besideUpstream', 'besideUpstreamAfter'])('%s @opentelemetry/instrumentation-pg: the same exact numbers, theirs recorded too', async (scenario) => {
    const { snapshots, values } = await runPgFixture<{ upstreamEnabled: boolean; upstreamOperations: number }>('lifecycle.js', scenario);
    expect(values.upstreamEnabled).toBe(true);
    // 30 pool queries and 10 client queries, whichever instrumentation wrapped pg last.
    expect(values.upstreamOperations).toBe(40);
    const holding = snapshots.holding!;
    expect(holding.sum(CREATED, pool('beside'))).toBe(3);
    expect(holding.sum(REUSED, pool('beside'))).toBe(27 + 1);
    expect(holding.sum(COUNT, { ...pool('beside'), 'db.client.connection.state': 'used' })).toBe(1);
    expect(holding.sum(COUNT, idle('beside'))).toBe(2);
    expect(holding.count(WAIT_TIME, pool('beside'))).toBe(31);
    const after = snapshots.after!;
    expect(after.sum(CREATED, bare)).toBe(1);
    expect(after.sum(REUSED, bare)).toBe(9);
  });
});
