/*
 * What a finished TLS handshake tells, read once for the socket timing of
 * core and for libraries that run TLS where core cannot see it (grpc-js).
 */
import type { Attributes } from '@opentelemetry/api';
import { withAttribute } from './attribute-sets';
import { tlsProtocolVersion } from './attributes';
import { ATTR_ERROR_TYPE, ATTR_TLS_PROTOCOL_VERSION, ATTR_TLS_RESUMED } from './semconv';

export interface TlsOutcome {
  /** `tls.protocol.version` (`1.3`), when the handshake finished. */
  readonly version?: string;
  readonly resumed: boolean;
  /** `error.type` when the handshake failed. */
  readonly error?: string;
}

/** The outcome of a TLS socket whose handshake finished (`secureConnect`). */
export function tlsOutcomeOf(socket: { getProtocol?(): string | null; isSessionReused?(): boolean }): TlsOutcome {
  const version = tlsProtocolVersion(socket.getProtocol?.());
  return { resumed: socket.isSessionReused?.() === true, ...(version === undefined ? {} : { version }) };
}

/** The attributes of `connmetrics.tls.handshake.duration` for a connection's attributes and an outcome. */
export function tlsHandshakeAttributes(attributes: Attributes, outcome: TlsOutcome): Attributes {
  let result = withAttribute(attributes, ATTR_TLS_RESUMED, outcome.resumed);
  if (outcome.version) result = withAttribute(result, ATTR_TLS_PROTOCOL_VERSION, outcome.version);
  if (outcome.error) result = withAttribute(result, ATTR_ERROR_TYPE, outcome.error);
  return result;
}
