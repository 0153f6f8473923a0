/*
 * Which postgres.js connection a new socket belongs to. postgres.js creates
 * its socket (`new net.Socket()`) right after reading `options.socket` and
 * connects it one microtask later, which Node announces on
 * `net.client.socket`; nothing in between hands the socket out. So each read
 * queues what it is for (a pool slot's attempt, or nothing to count: a cancel
 * request), and each postgres.js socket announced takes the oldest entry.
 * postgres.js sets its own `ssl` field on the socket just before connecting
 * it over TCP: that tells its sockets from every other one. Entries left
 * unmatched (postgres.js failed to create the socket) lapse at the next turn
 * of the event loop.
 */

/** What a socket postgres.js is about to create is for. */
export interface SocketClaim {
  /** Connects over a Unix socket: postgres.js sets no `ssl` field then. */
  readonly overPath: boolean;
  /** Receives the socket (a no-op for a socket that counts for nothing, such as a cancel request's). */
  opened(socket: object): void;
}

function looksLikePostgres(socket: object): boolean {
  return Object.prototype.hasOwnProperty.call(socket, 'ssl');
}

export class SocketClaims {
  private expected: SocketClaim[] = [];
  private lapseScheduled = false;

  /** postgres.js is about to create a socket for `claim`. */
  expect(claim: SocketClaim): void {
    this.expected.push(claim);
    if (this.lapseScheduled) return;
    this.lapseScheduled = true;
    setImmediate(() => {
      this.lapseScheduled = false;
      this.expected = [];
    }).unref();
  }

  /**
   * A client socket started connecting: hands it to its claimant when
   * postgres.js created it for one. Returns true for a socket of postgres.js
   * that nobody expected: a postgres.js loaded before the patch could apply.
   */
  announced(socket: object): boolean {
    const postgres = looksLikePostgres(socket);
    const next = this.expected[0];
    if (next && (postgres || next.overPath)) {
      this.expected.shift();
      next.opened(socket);
      return false;
    }
    return postgres;
  }

  clear(): void {
    this.expected = [];
  }
}
