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
