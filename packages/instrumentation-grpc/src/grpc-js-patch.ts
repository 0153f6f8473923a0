/*
 * The one patch of this package, for what Node's HTTP/2 channels cannot
 * show: grpc-js connection attempts that never become a session (a refused
 * port, a failed TLS handshake), and the TCP socket and TLS handshake under
 * a grpc-js session (grpc-js 1.13+ runs TLS on its own socket, which no
 * channel announces).
 *
 * It wraps `Http2SubchannelConnector.prototype.connect`, called once per
 * connection attempt (never per call), and only observes: the arguments,
 * return value and errors grpc-js sees are its own, except that the secure
 * connector it is given is a transparent Proxy that reports when TLS starts.
 *
 * Each instance of the instrumentation installs its own wrapper through
 * core's MethodWraps (as pg and ioredis do), never skipping a method another
 * instance wrapped: every instance sees every attempt, the claims decide
 * which one counts it for a MeterProvider, and an instance disabled beneath
 * another's wrapper passes calls through without taking the other's along.
 * The wrappers carry shimmer's marks, so `isWrapped()` tells whether one is
 * in place.
 */
import { InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import { isPromiseLike, type MethodWraps } from '@connmetrics/core';
import type { Connect, ConnectorPrototype, SecureConnectorLike, TransportExports } from './grpc-js-shapes';

export type { TransportExports } from './grpc-js-shapes';

export const GRPC_JS_MODULE = '@grpc/grpc-js';
/** The file of grpc-js that defines `Http2SubchannelConnector`. */
export const GRPC_JS_TRANSPORT_FILE = '@grpc/grpc-js/build/src/transport.js';
/**
 * grpc-js releases whose connector has this shape: `connect(address,
 * secureConnector, options)` returning a Promise of a transport with its
 * `session`, rejecting with the socket's own error. Older releases are still
 * counted through the HTTP/2 channels, without failed attempts.
 */
export const SUPPORTED_GRPC_JS_VERSIONS = ['>=1.13.0 <2'];

/** What the patch reports about one connection attempt. */
export interface ConnectAttempt {
  /** TCP is connected; `tcpSocket` is about to be secured (or used as is, for plaintext). */
  securing(tcpSocket: unknown): SecuringObserver | undefined;
  /** The attempt produced a transport, ready for calls. */
  ready(transport: unknown): void;
  /** The attempt failed, with what grpc-js rejected with. */
  failed(error: unknown): void;
}

export interface SecuringObserver {
  succeeded(result: unknown): void;
  failed(error: unknown): void;
}

export interface ConnectObserver {
  /** An attempt starts; undefined to leave it unobserved. Must not throw. */
  attemptStarted(connector: object, address: unknown, options: unknown): ConnectAttempt | undefined;
}

/** The instance's wraps (core's MethodWraps): each instance installs and removes its own wrapper only. */
export type Wraps = Pick<MethodWraps, 'wrap' | 'unwrap'>;

/** Wraps the connector's `connect` in a transport.js module's exports; idempotent. Returns whether it is wrapped. */
export function patchTransport(moduleExports: TransportExports | undefined, observer: ConnectObserver, wraps: Wraps): boolean {
  const prototype = moduleExports?.Http2SubchannelConnector?.prototype;
  if (!prototype || typeof prototype.connect !== 'function') return false;
  wraps.wrap(prototype, 'connect', (original) => observedConnect(original as Connect, observer));
  return true;
}

/** Removes this instance's wrapper, and never another instance's. */
export function unpatchTransport(moduleExports: TransportExports | undefined, wraps: Wraps): void {
  const prototype: ConnectorPrototype | undefined = moduleExports?.Http2SubchannelConnector?.prototype;
  if (prototype) wraps.unwrap(prototype, 'connect');
}

/** The module definition that patches grpc-js's connector while the instrumentation is enabled. */
export function grpcJsModuleDefinition(observer: ConnectObserver, wraps: Wraps): InstrumentationNodeModuleDefinition {
  const transportFile = new InstrumentationNodeModuleFile(
    GRPC_JS_TRANSPORT_FILE,
    SUPPORTED_GRPC_JS_VERSIONS,
    (moduleExports: TransportExports) => {
      patchTransport(moduleExports, observer, wraps);
      return moduleExports;
    },
    (moduleExports: TransportExports) => unpatchTransport(moduleExports, wraps),
  );
  return new InstrumentationNodeModuleDefinition(GRPC_JS_MODULE, SUPPORTED_GRPC_JS_VERSIONS, undefined, undefined, [
    transportFile,
  ]);
}

function observedConnect(original: Connect, observer: ConnectObserver): Connect {
  return function connect(this: object, address: unknown, secureConnector: unknown, ...rest: unknown[]): unknown {
    const attempt = observer.attemptStarted(this, address, rest[0]);
    if (!attempt) return original.call(this, address, secureConnector, ...rest);
    const result = original.call(this, address, observedSecureConnector(secureConnector, attempt), ...rest);
    if (isPromiseLike(result)) {
      result.then(
        (transport) => attempt.ready(transport),
        // `Promise.reject()` without a reason: the connector was shut down, no attempt was made.
        (error: unknown) => (error === undefined ? undefined : attempt.failed(error)),
      );
    }
    return result;
  };
}

/**
 * The secure connector seen through a Proxy whose `connect(socket)` reports
 * the TCP socket and the outcome of TLS; every other member is the
 * connector's own, bound to it.
 */
function observedSecureConnector(secureConnector: unknown, attempt: ConnectAttempt): unknown {
  if (typeof secureConnector !== 'object' || secureConnector === null) return secureConnector;
  if (typeof (secureConnector as SecureConnectorLike).connect !== 'function') return secureConnector;
  const target = secureConnector as SecureConnectorLike;
  const connect = (socket: unknown): unknown => {
    const securing = attempt.securing(socket);
    const result = target.connect(socket);
    if (securing && isPromiseLike(result)) {
      result.then(
        (secured) => securing.succeeded(secured),
        (error: unknown) => securing.failed(error),
      );
    }
    return result;
  };
  return new Proxy(target, {
    get(object, property) {
      if (property === 'connect') return connect;
      const value: unknown = Reflect.get(object, property, object);
      return typeof value === 'function' ? value.bind(object) : value;
    },
  });
}
