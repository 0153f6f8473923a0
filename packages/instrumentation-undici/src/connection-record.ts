/*
 * What this package keeps per undici connection, beside the tracker's state:
 * its close listener (so disable() can take it back), and what a close or a
 * failed reuse is judged by. Created once per connection; a use only
 * overwrites two fields.
 */
import type { Attributes } from '@opentelemetry/api';
import type { UndiciRequest, UndiciSocket } from './undici-shapes';

export class ConnectionRecord {
  /** The request served last (why a 'reset' close happened; whether a failed request was the one on the wire). */
  lastRequest: UndiciRequest | undefined = undefined;
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
    this.lastRequest = request;
    this.bytesAtSend = this.socket.bytesRead ?? 0;
  }

  /** Whether `request` failed before any byte of its response arrived. */
  failedBeforeResponse(request: UndiciRequest): boolean {
    return this.lastRequest === request && (this.socket.bytesRead ?? 0) === this.bytesAtSend;
  }

  detach(): void {
    this.socket.removeListener('close', this.onClose);
  }
}
