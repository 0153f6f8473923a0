/*
 * What this package keeps per connection beside the tracker's state: while
 * it opens, what its readiness records; then what tells why it closed. One
 * object per connection from its first sighting to its close; a use
 * overwrites one field. No request is held past readiness: an idle
 * connection must not keep its last request (and its response) alive.
 */
import type { Attributes } from '@opentelemetry/api';
import type { ClientRequestLike } from './http-shapes';

export class ConnectionRecord {
  /** While it opens: when the request that will use it first began to wait (creation, or entering the agent's queue). */
  waitStartedAt = 0;
  /** While it opens: the request already sent on it (counted when the connection is ready). */
  started: ClientRequestLike | undefined = undefined;
  /** Whether the client meant to keep the connection after its last request (false: it sent `Connection: close`). */
  clientKeepAlive = true;
  /** The socket's idle timeout fired while it sat free in its agent (the agent's `timeout`, or the server's Keep-Alive hint). */
  timedOut = false;
  /** Its agent destroyed it as it was freed (no keep-alive, `maxFreeSockets`, a server's hint too short to reuse). */
  dropped = false;
  /** `error.type` of the first error a request on it reported: what the application saw, and why it closes. */
  errorType: string | undefined = undefined;

  /**
   * @param server attributes of its socket phases and of a failure, for a
   *   connection followed from its attempt (computed once: the user's hook runs once per connection)
   */
  constructor(readonly server?: Attributes) {}

  sent(request: ClientRequestLike): void {
    this.clientKeepAlive = request.shouldKeepAlive !== false;
  }
}
