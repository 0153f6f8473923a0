/*
 * One grpc-js connection attempt, as the connector patch reports it: the TCP
 * socket to claim for the shared socket timing, the TLS handshake to time,
 * and the outcome (a session ready for calls, or a failure with error.type).
 */
import type { Attributes } from '@opentelemetry/api';
import { ATTR_ERROR_TYPE, errorType, type ConnectionInstruments, withAttribute } from '@connmetrics/core';
import type { Http2Session } from 'node:http2';
import type { ConnectAttempt, SecuringObserver } from './grpc-js-patch';
import { isSession } from './http2-session';
import { TlsHandshakeTimer } from './tls-handshake';

/** What an attempt needs from the instrumentation. */
export interface AttemptHost {
  readonly active: boolean;
  readonly recordSocketPhases: boolean;
  readonly instruments: ConnectionInstruments;
  guarded(name: string, hook: () => void): void;
  claimSocket(socket: object, attributes: Attributes): void;
  /** The attempt produced a connected session; `idleTimeoutMs` is its channel's idle timeout, when set. */
  sessionConnected(session: Http2Session, attributes: Attributes, idleTimeoutMs: number | undefined): void;
}

/** Every method runs guarded and does nothing once the instrumentation is disabled. */
export function connectAttempt(host: AttemptHost, attributes: Attributes, idleTimeoutMs: number | undefined): ConnectAttempt {
  return {
    securing(tcpSocket) {
      let observer: SecuringObserver | undefined;
      host.guarded('grpc-js secure connect', () => {
        if (!host.active || typeof tcpSocket !== 'object' || tcpSocket === null) return;
        host.claimSocket(tcpSocket, attributes);
        if (!host.recordSocketPhases) return;
        const timer = new TlsHandshakeTimer(() => host.instruments.tlsHandshakeDuration, attributes);
        observer = {
          succeeded: (result) => host.guarded('grpc-js tls handshake', () => timer.succeeded(result)),
          failed: (error) => host.guarded('grpc-js tls handshake', () => timer.failed(error)),
        };
      });
      return observer;
    },
    ready(transport) {
      host.guarded('grpc-js connected', () => {
        const session = (transport as { session?: unknown } | null)?.session;
        if (host.active && isSession(session)) host.sessionConnected(session, attributes, idleTimeoutMs);
      });
    },
    failed(error) {
      host.guarded('grpc-js connect failed', () => {
        if (host.active) host.instruments.failed.add(1, withAttribute(attributes, ATTR_ERROR_TYPE, errorType(error)));
      });
    },
  };
}
