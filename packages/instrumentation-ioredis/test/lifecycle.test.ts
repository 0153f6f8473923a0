import { redisAddress, requireReachable } from '@connmetrics/test-harness';
import { COUNT, CREATED, IOREDIS_COPIES, POOL, REUSED, STATE, runScenario } from './scenario';

const redis = redisAddress();

beforeAll(async () => {
  await requireReachable('Redis', redis.host, redis.port);
});

interface ToggleState {
  sendCommandWrapped: boolean;
  connectWrapped: boolean;
  channelsWithSubscribers: string[];
  closeListeners: number[];
}

describe.each(IOREDIS_COPIES)('%s (%s): disable() and enable()', (copy) => {
  test('disable() removes patches, subscriptions and listeners and stops counting; enable() counts again, adopting open connections', async () => {
    const run = await runScenario<Record<'enabledState' | 'disabledState' | 'reenabledState', ToggleState>>('disable-enable', copy, {
      host: redis.host,
      port: redis.port,
    });
    // ioredis's tracing channels are never subscribed (one hook path: the patches).
    // The socket's own 'close' listeners: ioredis has one; the instrumentation adds one while enabled.
    expect(run.facts.enabledState).toEqual({ sendCommandWrapped: true, connectWrapped: true, channelsWithSubscribers: [], closeListeners: [2] });
    expect(run.facts.disabledState).toEqual({ sendCommandWrapped: false, connectWrapped: false, channelsWithSubscribers: [], closeListeners: [1] });
    // Adopted connections get their listener at their next use, not before.
    expect(run.facts.reenabledState).toEqual({
      sendCommandWrapped: true,
      connectWrapped: true,
      channelsWithSubscribers: [],
      closeListeners: [1, 1],
    });

    const disabled = run.snapshot('disabled');
    expect(disabled.sum(CREATED, { [POOL]: 'before' })).toBe(1);
    expect(disabled.sum(REUSED, { [POOL]: 'before' })).toBe(4); // nothing counted while disabled
    expect(disabled.sum(CREATED, { [POOL]: 'during' })).toBe(0);
    expect(disabled.sum(COUNT)).toBe(0); // a disabled instrumentation reports no open connections

    const reenabled = run.snapshot('reenabled');
    expect(reenabled.sum(CREATED, { [POOL]: 'before' })).toBe(1);
    expect(reenabled.sum(REUSED, { [POOL]: 'before' })).toBe(9); // 4 + 5 adopted
    expect(reenabled.sum(CREATED, { [POOL]: 'during' })).toBe(0); // opened while disabled
    expect(reenabled.sum(REUSED, { [POOL]: 'during' })).toBe(5);
    expect(reenabled.sum(CREATED, { [POOL]: 'after' })).toBe(1);
    expect(reenabled.sum(REUSED, { [POOL]: 'after' })).toBe(4);
    expect(reenabled.sum(COUNT, { [STATE]: 'idle' })).toBe(3);

    expect(run.snapshot('afterQuit').sum(COUNT)).toBe(0);
  });
});
