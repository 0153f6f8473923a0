import { CLOSED, CREATED, REUSED, pool, requireMysql, runMySQL2Fixture } from './support/fixtures';

beforeAll(requireMysql);

interface Footprint {
  wrapped: number;
  poolReleaseListeners: number;
  socketListeners: [number, number];
}

describe('disable() and enable()', () => {
  test('disable() (twice) removes the wraps and every listener and records nothing; enable() (twice) counts again, once', async () => {
    const { snapshots, values } = await runMySQL2Fixture<{
      enabled: Footprint;
      disabled: Footprint;
      reenabled: Footprint;
      bareSocketListeners: [number, number];
      bareSocketListenersDisabled: [number, number];
    }>('lifecycle.js', 'disableEnable');
    expect(values.enabled.wrapped).toBe(2);
    expect(values.enabled.poolReleaseListeners).toBe(1);
    expect(values.disabled).toEqual({
      wrapped: 0,
      poolReleaseListeners: 0,
      // Our 'close' and 'error' listeners on the socket are gone; mysql2's own stay.
      socketListeners: [values.enabled.socketListeners[0] - 1, values.enabled.socketListeners[1] - 1],
    });
    expect(values.bareSocketListenersDisabled).toEqual([values.bareSocketListeners[0] - 1, values.bareSocketListeners[1] - 1]);
    expect(values.reenabled).toEqual(values.enabled);

    const enabled = snapshots.enabled!;
    expect(enabled.sum(CREATED, pool('lifecycle'))).toBe(1);
    expect(enabled.sum(REUSED, pool('lifecycle'))).toBe(2);
    expect(enabled.sum(CREATED)).toBe(2);
    expect(enabled.sum(REUSED)).toBe(4);

    // Nothing recorded while disabled.
    const disabled = snapshots.disabled!;
    expect(disabled.sum(CREATED)).toBe(2);
    expect(disabled.sum(REUSED)).toBe(4);
    expect(disabled.sum(CREATED, pool('while-disabled'))).toBe(0);

    // Connections opened earlier are adopted: all their uses count as reused.
    const reenabled = snapshots['re-enabled']!;
    expect(reenabled.sum(REUSED, pool('lifecycle'))).toBe(2 + 4);
    expect(reenabled.sum(CREATED, pool('lifecycle'))).toBe(1);
    expect(reenabled.sum(CREATED, pool('fresh'))).toBe(1);
    expect(reenabled.sum(REUSED, pool('fresh'))).toBe(2);
    expect(reenabled.sum(CREATED)).toBe(3);
    expect(reenabled.sum(REUSED)).toBe(4 + 4 + 4 + 2);

    // Closes of every connection known since enable(); the one of the pool opened while disabled is unknown.
    const ended = snapshots.ended!;
    expect(ended.sum(CLOSED, pool('lifecycle'))).toBe(1);
    expect(ended.sum(CLOSED, pool('fresh'))).toBe(1);
    expect(ended.sum(CLOSED, pool('while-disabled'))).toBe(0);
    expect(ended.sum(CLOSED)).toBe(3);
  });
});
