/*
 * What this package keeps per connection beside the tracker's state, to tell
 * why it closed. Created once per connection; a use overwrites one field. No
 * request is held: an idle connection must not keep its last request (and its
 * response) alive.
 */
import type { ClientRequestLike } from './http-shapes';

export class ConnectionRecord {
  /** Whether the client meant to keep the connection after its last request (false: it sent `Connection: close`). */
  clientKeepAlive = true;
  /** The socket's idle timeout fired while it sat free in its agent (the agent's `timeout`, or the server's Keep-Alive hint). */
  timedOut = false;
  /** Its agent destroyed it as it was freed (no keep-alive, `maxFreeSockets`, a server's hint too short to reuse). */
  dropped = false;

  sent(request: ClientRequestLike): void {
    this.clientKeepAlive = request.shouldKeepAlive !== false;
  }
}
