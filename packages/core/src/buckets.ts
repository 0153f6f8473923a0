/*
 * Explicit bucket advice. Connection phases on a LAN or loopback take tens of
 * microseconds to a few milliseconds, across regions hundreds of milliseconds:
 * the boundaries cover both. Lifetimes of connections run to hours.
 */

/** DNS lookups, TCP connects, TLS handshakes, queue and pool waits, in seconds. */
export const SETUP_DURATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** How long a connection lived or was used, in seconds. */
export const LIFETIME_BUCKETS: readonly number[] = [
  0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200,
];

/** Uses served by one connection. */
export const USES_BUCKETS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 10000];

/** How long a connection sat idle before it closed, in seconds (servers' idle timeouts run 1 s to minutes). */
export const IDLE_TIME_BUCKETS: readonly number[] = [
  0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 5, 6, 10, 15, 30, 60, 120, 300, 600, 1800, 3600,
];
