import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/** What a connection attributes hook is told about a new connection. */
export interface ConnectionInfo {
  /** `network.protocol.name`: `http`, `postgresql`, `redis` or `grpc`. */
  readonly protocol: string;
  readonly serverAddress?: string;
  readonly serverPort?: number;
}

/** Options every connmetrics instrumentation accepts. */
export interface ConnectionInstrumentationConfig extends InstrumentationConfig {
  /**
   * Add `network.peer.address` (the IP address actually connected to) to
   * connection metrics. Off by default: it multiplies the time series by the
   * number of addresses behind each host.
   * @default false
   */
  recordPeerAddress?: boolean;
  /**
   * Record `dns.lookup.duration`, `connmetrics.connection.connect.duration`
   * and `connmetrics.tls.handshake.duration` for instrumented connections.
   * @default true
   */
  recordSocketPhases?: boolean;
  /**
   * Extra attributes for every metric of a connection, computed once when the
   * connection is first seen. Runs guarded: if it throws, the connection is
   * recorded without them. Keep the values few: each distinct value is a new
   * time series.
   * @default undefined
   */
  connectionAttributes?: (info: ConnectionInfo) => Attributes;
}
