import type { Http2Session } from 'node:http2';
import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import {
  ATTR_NETWORK_PROTOCOL_VERSION,
  HttpClientInstrumentationBase,
  loadedModuleFiles,
  MethodWraps,
  serverAddress,
  serverPort,
  versionInRange,
  type ChannelHandlers,
  type ConnectionInstruments,
  type ConnectionState,
} from '@connmetrics/core';
import { GRPC_DEFAULT_PORT, grpcTargetAuthority, parseAuthority, type ServerEndpoint } from './authority';
import { Http2Channel, type StreamErrorMessage, type StreamMessage } from './channels';
import { connectAttempt, type AttemptHost } from './connect-attempt';
import {
  GRPC_JS_TRANSPORT_FILE,
  grpcJsModuleDefinition,
  patchTransport,
  unpatchTransport,
  type ConnectAttempt,
  type ConnectObserver,
  type TransportExports,
} from './grpc-js-patch';
import { remoteAddressOf } from './http2-session';
import { Http2Sessions, PROTOCOL_GRPC, type SessionTarget } from './http2-sessions';
import type { GrpcConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

const HTTP2 = { [ATTR_NETWORK_PROTOCOL_VERSION]: '2' } as const;

/** grpc-js's default idle timeout (`grpc.client_idle_timeout_ms`), and its minimum. */
const GRPC_JS_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
const GRPC_JS_MIN_IDLE_TIMEOUT_MS = 1000;

function idleTimeoutOf(options: unknown): number {
  const value = (options as Record<string, unknown> | null | undefined)?.['grpc.client_idle_timeout_ms'];
  return Math.max(typeof value === 'number' && value > 0 ? value : GRPC_JS_IDLE_TIMEOUT_MS, GRPC_JS_MIN_IDLE_TIMEOUT_MS);
}

/**
 * Connection metrics for gRPC over @grpc/grpc-js, and for node:http2 clients.
 *
 * A connection is an HTTP/2 client session; a use is a stream (a gRPC call,
 * an HTTP/2 request). Both are read from Node's `http2.client.stream.*`
 * diagnostics channels (http2-sessions.ts), so every session in the process
 * is seen once, whichever library or copy of grpc-js opened it. A session is
 * created when it is connected (TCP, TLS and the HTTP/2 preface done); its
 * first stream is its own use, every later one is reused.
 *
 * grpc-js connection attempts that never become a session (a refused port,
 * a failed TLS handshake) are invisible to the channels; a patch of grpc-js's
 * connector (grpc-js-patch.ts) reports them, and times the TLS handshake that
 * grpc-js runs on its own socket. A grpc-js loaded before the instrumentation
 * (as `@opentelemetry/sdk-node` does) is patched at enable().
 */
export class GrpcConnectionInstrumentation extends HttpClientInstrumentationBase<GrpcConnectionInstrumentationConfig> {
  declare private _sessions: Http2Sessions | undefined;
  declare private _attemptHost: AttemptHost | undefined;
  declare private _methodWraps: MethodWraps | undefined;
  /** transport.js exports patched at enable() because they were loaded before. */
  declare private _latePatched: Set<TransportExports> | undefined;
  declare private _warnedUnpatchable: boolean | undefined;
  /** The protocol of the connection whose attributes are being computed (see `protocolName`). */
  declare private _protocol: string | undefined;

  constructor(config: GrpcConnectionInstrumentationConfig = {}) {
    super(PACKAGE_NAME, PACKAGE_VERSION, config);
  }

  /**
   * `grpc`, or `http` while the attributes of a plain node:http2 session are
   * computed, so that the base class and the user's `connectionAttributes`
   * hook are told the protocol of the connection at hand.
   */
  protected get protocolName(): string {
    return this._protocol ?? PROTOCOL_GRPC;
  }

  private get sessions(): Http2Sessions {
    const self = this;
    return (this._sessions ??= new Http2Sessions({
      get connectionInstruments() {
        return self._connectionInstruments;
      },
      get httpInstruments() {
        return self._httpInstruments;
      },
      diag: this._diag,
      owner: PACKAGE_NAME,
      claim: (session) => this.claim(session),
      guarded: (name, hook) => this.guarded(name, hook),
      attributesOf: (target, session) => this.attributesOf(target, session),
      claimSocket: (socket, attributes) => void this.claimSocket(socket, attributes),
    }));
  }

  private get connectObserver(): ConnectObserver {
    return { attemptStarted: (connector, address, options) => this.onConnectAttempt(connector, address, options) };
  }

  /**
   * This instance's own wrappers of grpc-js's connector. Not shimmer's `_wrap`
   * with an `isWrapped()` check: a second instance would find the first's
   * wrapper, install none, and lose every attempt once the first is disabled.
   */
  private get methodWraps(): MethodWraps {
    return (this._methodWraps ??= new MethodWraps());
  }

  protected override init(): InstrumentationModuleDefinition[] {
    return [grpcJsModuleDefinition(this.connectObserver, this.methodWraps)];
  }

  override enable(): void {
    super.enable();
    this.patchLoadedCopies();
  }

  /**
   * Copies of grpc-js loaded before this instrumentation (`require('@opentelemetry/sdk-node')`
   * loads one through its OTLP/gRPC exporter): their connector is patched now, so
   * that refused attempts and TLS handshakes count whatever the load order.
   */
  private patchLoadedCopies(): void {
    this.guarded('grpc-js loaded before the instrumentation', () => {
      for (const copy of loadedModuleFiles(GRPC_JS_TRANSPORT_FILE)) {
        const exports = copy.exports as TransportExports | undefined;
        if (versionInRange(copy.version, '1.13.0', '2.0.0') && patchTransport(exports, this.connectObserver, this.methodWraps)) {
          (this._latePatched ??= new Set()).add(exports!);
        } else if (!this._warnedUnpatchable) {
          this._warnedUnpatchable = true;
          this._diag.warn(
            `@grpc/grpc-js ${copy.version ?? '(unknown version)'} was loaded before this instrumentation and its connector cannot be patched: ` +
              'calls and sessions are counted, failed attempts and TLS handshakes are not. Use @grpc/grpc-js >=1.13 <2, or enable the instrumentation before grpc-js is loaded.',
          );
        }
      }
    });
  }

  protected openConnectionStates(): Iterable<ConnectionState> {
    return this.sessions.open();
  }

  protected override onDisabled(): void {
    for (const exports of this._latePatched ?? []) unpatchTransport(exports, this.methodWraps);
    this._latePatched = undefined;
    this._sessions?.clear();
  }

  protected channelHandlers(): ChannelHandlers {
    return {
      [Http2Channel.StreamCreated]: (message: StreamMessage) => this.sessions.streamCreated(message),
      [Http2Channel.StreamStart]: (message: StreamMessage) => this.sessions.streamStart(message),
      [Http2Channel.StreamError]: (message: StreamErrorMessage) => this.sessions.streamError(message),
      [Http2Channel.StreamClose]: (message: StreamMessage) => this.sessions.streamClose(message),
    };
  }

  /** A connection's attributes; `network.peer.address` from the session when configured and known. */
  private attributesOf(target: SessionTarget, session?: Http2Session, peerAddress?: string): Attributes {
    const peer = peerAddress ?? (session && this._config.recordPeerAddress ? remoteAddressOf(session) : undefined);
    this._protocol = target.protocol;
    try {
      return this.connectionAttributes(target.endpoint.address, target.endpoint.port, HTTP2, peer);
    } finally {
      this._protocol = undefined;
    }
  }

  // --- grpc-js connector patch: attempts, TCP socket, TLS ----------------------

  private onConnectAttempt(connector: object, address: unknown, options: unknown): ConnectAttempt | undefined {
    let attempt: ConnectAttempt | undefined;
    this.guarded('grpc-js connect', () => {
      // The connector makes every attempt of one subchannel: one instance per MeterProvider reports them.
      if (!this.isEnabled() || !this.claim(connector)) return;
      // The channel's target names the server as the application did (a host
      // name); the subchannel address is the resolved IP, the peer.
      const { host, port } = (address ?? {}) as { host?: unknown; port?: unknown };
      const authority = grpcTargetAuthority((connector as { channelTarget?: unknown }).channelTarget);
      const endpoint: ServerEndpoint =
        authority !== undefined
          ? parseAuthority(authority, GRPC_DEFAULT_PORT)
          : { address: serverAddress(host), port: serverPort(port) };
      const peer = typeof host === 'string' ? host : undefined;
      attempt = connectAttempt(this.attemptHost, this.attributesOf({ protocol: PROTOCOL_GRPC, endpoint }, undefined, peer), idleTimeoutOf(options));
    });
    return attempt;
  }

  /** What the connection attempts reported by the grpc-js patch act on. */
  private get attemptHost(): AttemptHost {
    const instrumentation = this;
    return (this._attemptHost ??= {
      get active() {
        return instrumentation.isEnabled();
      },
      get recordSocketPhases() {
        return instrumentation._config.recordSocketPhases !== false;
      },
      get instruments(): ConnectionInstruments {
        return instrumentation._connectionInstruments;
      },
      guarded: (name, hook) => this.guarded(name, hook),
      claimSocket: (socket, attributes) => void this.claimSocket(socket, attributes),
      sessionConnected: (session, attributes, idleTimeoutMs) => this.sessions.sessionCreated(session, attributes, idleTimeoutMs),
    });
  }
}
