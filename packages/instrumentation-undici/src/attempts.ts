/*
 * Connection attempts in progress, by the Client's connector, which undici
 * passes in `beforeConnect`, `connected` and `connectError` alike: the
 * attempt's attributes are computed once (the user's hook included), and
 * whether it runs under `suppressTracing` (the SDK's own exports) is decided
 * once, at its start. A Client connects once at a time; a connector shared by
 * several origins (a custom `connect` function) is told apart by the checked
 * parameters.
 */
import type { Attributes } from '@opentelemetry/api';
import type { ConnectParams } from './channels';

export interface Attempt {
  readonly params: ConnectParams;
  readonly attributes: Attributes;
  /** Started under `suppressTracing`: not counted at all. */
  readonly suppressed: boolean;
}

function sameServer(a: ConnectParams, b: ConnectParams): boolean {
  return a.hostname === b.hostname && a.host === b.host && a.port === b.port && a.protocol === b.protocol;
}

export class Attempts {
  private byConnector = new WeakMap<object, Attempt>();

  started(connector: object | undefined, attempt: Attempt): void {
    if (connector) this.byConnector.set(connector, attempt);
  }

  /** The attempt a `connected` or `connectError` message ends, if it was seen starting. */
  find(connector: object | undefined, params: ConnectParams): Attempt | undefined {
    const attempt = connector ? this.byConnector.get(connector) : undefined;
    return attempt && sameServer(attempt.params, params) ? attempt : undefined;
  }

  clear(): void {
    this.byConnector = new WeakMap();
  }
}
