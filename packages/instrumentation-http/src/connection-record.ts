/*
 * What this package keeps per connection beside the tracker's state, to tell
 * why it closed. Created once per connection; a use overwrites two fields.
 */
import type { ClientRequestLike } from './http-shapes';

export class ConnectionRecord {
  /** The request sent last on the connection. */
  last: ClientRequestLike | undefined = undefined;
  /** Whether the client meant to keep the connection after it (false: it sent `Connection: close`). */
  clientKeepAlive = true;
  /** The socket's idle timeout fired while it sat free in its agent (the agent's `timeout`, or the server's Keep-Alive hint). */
  timedOut = false;
  /** Its agent destroyed it as it was freed (no keep-alive, `maxFreeSockets`, a server's hint too short to reuse). */
  dropped = false;

  sent(request: ClientRequestLike): void {
    this.last = request;
    this.clientKeepAlive = request.shouldKeepAlive !== false;
  }
}
