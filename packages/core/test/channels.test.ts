import * as diagnosticsChannel from 'node:diagnostics_channel';
import { ChannelSubscriptions } from '../src/channels';

function recordingDiag() {
  const calls: Array<[string, string]> = [];
  const log = (level: string) => (message: string) => calls.push([level, message]);
  return {
    calls,
    diag: { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug'), verbose: log('verbose') },
  };
}

describe('ChannelSubscriptions', () => {
  test('subscribes and unsubscribes every channel as one, idempotently', () => {
    const seen: string[] = [];
    const { diag } = recordingDiag();
    const subscriptions = new ChannelSubscriptions(
      { 'connmetrics-test:a': () => seen.push('a'), 'connmetrics-test:b': () => seen.push('b') },
      diag,
    );
    subscriptions.subscribe();
    subscriptions.subscribe();
    diagnosticsChannel.channel('connmetrics-test:a').publish({});
    diagnosticsChannel.channel('connmetrics-test:b').publish({});
    expect(seen).toEqual(['a', 'b']);
    subscriptions.unsubscribe();
    subscriptions.unsubscribe();
    expect(diagnosticsChannel.hasSubscribers('connmetrics-test:a')).toBe(false);
    expect(diagnosticsChannel.hasSubscribers('connmetrics-test:b')).toBe(false);
    diagnosticsChannel.channel('connmetrics-test:a').publish({});
    expect(seen).toEqual(['a', 'b']);
  });

  test('a throwing handler never reaches the publisher and is logged once as an error', () => {
    const { calls, diag } = recordingDiag();
    const subscriptions = new ChannelSubscriptions(
      {
        'connmetrics-test:throws': () => {
          throw new Error('boom');
        },
      },
      diag,
    );
    subscriptions.subscribe();
    const channel = diagnosticsChannel.channel('connmetrics-test:throws');
    expect(() => {
      channel.publish({});
      channel.publish({});
      channel.publish({});
    }).not.toThrow();
    expect(calls.filter(([level]) => level === 'error')).toHaveLength(1);
    expect(calls.filter(([level]) => level === 'debug')).toHaveLength(2);
    subscriptions.unsubscribe();
  });
});
