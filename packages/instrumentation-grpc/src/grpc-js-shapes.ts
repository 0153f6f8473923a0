/*
 * The parts of @grpc/grpc-js this package reads, described structurally: the
 * instrumentation never imports grpc-js at run time. They hold for grpc-js
 * 1.13 to 1.x (`build/src/transport.js`, `channel-credentials.js`, `uri-parser.js`).
 */

/** `Http2SubchannelConnector#connect(address, secureConnector, options)`: one connection attempt. */
export type Connect = (this: object, address: unknown, secureConnector: unknown, ...rest: unknown[]) => unknown;

/** `Http2SubchannelConnector.prototype`, as far as the patch touches it. */
export interface ConnectorPrototype {
  connect: Connect;
}

export interface ConnectorClass {
  prototype: ConnectorPrototype;
}

/** The exports of grpc-js's transport.js this patch reads. */
export interface TransportExports {
  Http2SubchannelConnector?: ConnectorClass;
}

/** A grpc-js secure connector: `connect(tcpSocket)` resolves with a {@link SecureConnectResult}. */
export interface SecureConnectorLike {
  connect(socket: unknown): unknown;
}

/** What grpc-js's secure connector resolves with. */
export interface SecureConnectResult {
  socket?: unknown;
  secure?: unknown;
}

/** The part of a grpc-js `GrpcUri` (a channel's target) this package reads. */
export interface GrpcTarget {
  scheme?: unknown;
  path?: unknown;
}
