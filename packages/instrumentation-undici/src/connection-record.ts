/*
 * What this package keeps per undici connection, beside the tracker's state:
 * its close listener (so disable() can take it back), and what a close or a
 * failed reuse is judged by. Created once per connection; a use only
 * overwrites two fields. No request is held: an idle connection must not keep
 * its last request (and its body) alive.
 */
import type { Attributes } from '@opentelemetry/api';
import type { UndiciRequest, UndiciSocket } from './undici-shapes';

export class ConnectionRecord {
  /** Whether the request served last asked undici to close the connection after it (`Connection: close`, `reset: true`, HEAD). */
  lastAskedReset = false;
  /** `socket.bytesRead` when that request was sent: unchanged at its failure means no response began. */
  bytesAtSend = 0;
  /** `error.type` of the first request the connection failed by breaking: then its close is an error. */
  brokenBy: string | undefined = undefined;

  constructor(
    readonly socket: UndiciSocket,
    /** The connection's attributes, computed at `connected`. */
    readonly attributes: Attributes,
    readonly onClose: () => void,
  ) {
    socket.once('close', onClose);
  }

  /** Notes a request sent on this connection. */
  sent(request: UndiciRequest): void {
    this.lastAskedReset = request.reset === true || request.method === 'HEAD';
    this.bytesAtSend = this.socket.bytesRead ?? 0;
  }

  /** Whether nothing arrived since the last request was sent: a request failing now got no byte of a response. */
  nothingReceived(): boolean {
    return (this.socket.bytesRead ?? 0) === this.bytesAtSend;
  }

  detach(): void {
    this.socket.removeListener('close', this.onClose);
  }
}
