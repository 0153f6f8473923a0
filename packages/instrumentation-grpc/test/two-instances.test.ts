/*
 * Two instances of the instrumentation (zero-code plus an SDK file, say), in
 * a real process, both enabled before grpc-js is loaded so that the connector
 * patch applies. Each instance must see every connection attempt through the
 * patch whatever the other does: on two MeterProviders each counts
 * everything, on one the claims count everything once, and an instance keeps
 * counting failed attempts and TLS handshakes while the other is disabled.
 * Expected counts come from what the servers and the application saw.
 */
import { join } from 'node:path';
import { runFixture } from '@connmetrics/test-harness';

interface Seen {
  plain: { connections: number; calls: number };
  tls: { connections: number; calls: number };
  refused: number;
  untrusted: number;
  refusedHttp2: number;
}

interface Counts {
  created: number;
  reused: number;
  failed: Record<string, number>;
  closed: number;
  lifetimes: number;
  open: number;
  tlsHandshakes: number;
  tlsFailures: Record<string, number>;
}

/** The fixture's three rounds: both enabled, the first disabled, the first enabled again. */
type Rounds = Array<{ seen: Seen; counts: Counts[] }>;

const runs = new Map<'one' | 'two', Promise<Rounds>>();

/** Runs the fixture once per provider layout; the tests share its rounds. */
function rounds(providers: 'one' | 'two'): Promise<Rounds> {
  let run = runs.get(providers);
  if (!run) {
    run = runFixture<Rounds>(join(__dirname, 'fixtures', 'two-instances.js'), { args: [providers], timeoutMs: 45_000 }).then((result) => {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const rounds = result.result!;
      // The ground truth of every round: one plaintext and two TLS connections, three refused attempts, one untrusted certificate.
      for (const { seen } of rounds) {
        expect(seen).toEqual({ plain: { connections: 1, calls: 5 }, tls: { connections: 2, calls: 6 }, refused: 3, untrusted: 1, refusedHttp2: 1 });
      }
      return rounds;
    });
    runs.set(providers, run);
  }
  return run;
}

/** What one MeterProvider must show after counting the rounds `counted` (indexes) of `all`. */
function expected(all: Rounds, counted: number[]): Counts {
  const total: Counts = { created: 0, reused: 0, failed: {}, closed: 0, lifetimes: 0, open: 0, tlsHandshakes: 0, tlsFailures: {} };
  for (const { seen } of counted.map((index) => all[index]!)) {
    const connections = seen.plain.connections + seen.tls.connections;
    total.created += connections;
    total.reused += seen.plain.calls - seen.plain.connections + seen.tls.calls - seen.tls.connections;
    total.closed += connections;
    total.lifetimes += connections;
    // The refused grpc-js attempts (through the patch) and the refused node:http2 session (through the channels).
    total.failed.ECONNREFUSED = (total.failed.ECONNREFUSED ?? 0) + seen.refused + seen.refusedHttp2;
    total.failed.DEPTH_ZERO_SELF_SIGNED_CERT = (total.failed.DEPTH_ZERO_SELF_SIGNED_CERT ?? 0) + seen.untrusted;
    // grpc-js runs TLS on its own socket: only the patch times these handshakes, failed ones included.
    total.tlsHandshakes += seen.tls.connections + seen.untrusted;
    total.tlsFailures.DEPTH_ZERO_SELF_SIGNED_CERT = (total.tlsFailures.DEPTH_ZERO_SELF_SIGNED_CERT ?? 0) + seen.untrusted;
  }
  return total;
}

describe('two instances of the instrumentation', () => {
  test('on two MeterProviders, both enabled: each counts every failed attempt and TLS handshake, and every session', async () => {
    const all = await rounds('two');
    expect(all[0]!.counts).toEqual([expected(all, [0]), expected(all, [0])]);
  });

  test('the first disabled: the second still counts every failed attempt and TLS handshake; the first again once enabled', async () => {
    const two = await rounds('two');
    expect(two[1]!.counts).toEqual([expected(two, [0]), expected(two, [0, 1])]);
    expect(two[2]!.counts).toEqual([expected(two, [0, 2]), expected(two, [0, 1, 2])]);
    const one = await rounds('one');
    expect(one[1]!.counts).toEqual([expected(one, [0, 1])]);
  });

  test('on one MeterProvider: every attempt, handshake and session counted once, in every round', async () => {
    const all = await rounds('one');
    expect(all.map((round) => round.counts)).toEqual([[expected(all, [0])], [expected(all, [0, 1])], [expected(all, [0, 1, 2])]]);
  });
});
