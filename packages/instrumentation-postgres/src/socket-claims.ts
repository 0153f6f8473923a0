/*
 * Which postgres.js connection a new socket belongs to. postgres.js reads
 * `options.socket` twice per socket: in createSocket() before it makes the
 * socket, and in connect() just before it calls `socket.connect()`, which
 * Node announces on `net.client.socket` synchronously; nothing in between
 * hands the socket out. So each read names what the next socket announced in
 * the same synchronous run is for, and the name lapses at the next microtask
 * (the first read's lapses before the second, which follows an await).
 */
import { TLSSocket } from 'node:tls';

/** What a socket postgres.js is about to connect is for. */
export interface SocketClaim {
  /** Receives the socket (a no-op for a socket that counts for nothing, such as a cancel request's). */
  opened(socket: object): void;
}

/**
 * postgres.js sets its own `ssl` field on every TCP socket it connects (a
 * plain net.Socket: TLS comes later, over it). Node's TLSSocket has an own
 * `ssl` field too (its native handle), so every HTTPS request would look like
 * postgres.js without the TLSSocket test.
 */
function looksLikePostgres(socket: object): boolean {
  return Object.prototype.hasOwnProperty.call(socket, 'ssl') && !(socket instanceof TLSSocket);
}

export class SocketClaims {
  private next: SocketClaim | undefined;

  /** postgres.js may connect a socket for `claim` in this synchronous run. */
  expect(claim: SocketClaim): void {
    this.next = claim;
    queueMicrotask(() => {
      if (this.next === claim) this.next = undefined;
    });
  }

  /**
   * A client socket started connecting: hands it to its claimant when
   * postgres.js connects it for one. Returns true for a socket of postgres.js
   * that nobody expected: a postgres.js loaded before the patch could apply.
   */
  announced(socket: object): boolean {
    const next = this.next;
    if (next) {
      this.next = undefined;
      next.opened(socket);
      return false;
    }
    return looksLikePostgres(socket);
  }

  clear(): void {
    this.next = undefined;
  }
}
