import { performance } from 'node:perf_hooks';
import type { Http2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { Attributes } from '@opentelemetry/api';
import type { InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import {
  ATTR_ERROR_TYPE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  HttpClientInstrumentationBase,
  ConnectionTracker,
  errorType,
  serverAddress,
  serverPort,
  type ChannelHandlers,
  type ConnectionInstruments,
  type ConnectionState,
  connectionOwner,
  loadedModuleFiles,
  versionInRange,
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
  type Wrapper,
} from './grpc-js-patch';
import { isPushed, remoteAddressOf, sessionError, sessionSocket } from './http2-session';
import { sessionCloseCause, type SessionEnd } from './close-cause';
import { authorityOf, isGrpcRequest } from './request-headers';
import type { GrpcConnectionInstrumentationConfig } from './types';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

const PROTOCOL_GRPC = 'grpc';
const PROTOCOL_HTTP = 'http';
const HTTP2 = { [ATTR_NETWORK_PROTOCOL_VERSION]: '2' } as const;

type Headers = OutgoingHttpHeaders | IncomingHttpHeaders | undefined;

/** Where a session goes and what it carries, known from its first request. */
interface SessionTarget {
  readonly protocol: string;
  readonly endpoint: ServerEndpoint;
}

/** A session seen while still connecting: created on 'connect', failed on 'close' before it. */
interface PendingSession extends SessionTarget {
  /** The error its streams were cancelled with, which carries the session's own. */
  error?: unknown;
}

/** The session listeners of one instrumentation; `this` is the session. */
interface SessionListeners {
  readonly connect: (this: Http2Session) => void;
  readonly goaway: (this: Http2Session, errorCode: number) => void;
  readonly close: (this: Http2Session) => void;
}

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
 * diagnostics channels, so every session in the process is seen once,
 * whichever library or copy of grpc-js opened it. A session is created when
 * it is connected (TCP, TLS and the HTTP/2 preface done); its first stream is
 * its own use, every later one is reused.
 *
 * grpc-js connection attempts that never become a session (a refused port,
 * a failed TLS handshake) are invisible to the channels; a patch of grpc-js's
 * connector reports them, and times the TLS handshake that grpc-js runs on
 * its own socket. Without it (grpc-js loaded before the instrumentation, or
 * outside the supported range) calls and sessions are still counted.
 */
export class GrpcConnectionInstrumentation extends HttpClientInstrumentationBase<GrpcConnectionInstrumentationConfig> {
  declare private _tracker: ConnectionTracker | undefined;
  /** Streams requested on a connecting session → the session (`stream.session` is unset on error). */
  declare private _pendingStreams: WeakMap<ClientHttp2Stream, Http2Session> | undefined;
  /** Streams counted as a use and not yet closed → their session. */
  declare private _inFlight: WeakMap<ClientHttp2Stream, Http2Session> | undefined;
  declare private _pending: WeakMap<Http2Session, PendingSession> | undefined;
  /** Sessions carrying this instrumentation's listeners, to remove them on disable(). */
  declare private _watched: Set<Http2Session> | undefined;
  declare private _listeners: SessionListeners | undefined;
  declare private _attemptHost: AttemptHost | undefined;
  /** transport.js exports patched at enable() because they were loaded before. */
  declare private _latePatched: Set<TransportExports> | undefined;
  declare private _warnedUnpatchable: boolean | undefined;
  /** What each watched session showed before its close (GOAWAY, grpc-js idle timeout). */
  declare private _ends: WeakMap<Http2Session, SessionEnd> | undefined;
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

  private get tracker(): ConnectionTracker {
    return (this._tracker ??= new ConnectionTracker(() => this._connectionInstruments, () => this._diag));
  }

  private get pendingStreams(): WeakMap<ClientHttp2Stream, Http2Session> {
    return (this._pendingStreams ??= new WeakMap());
  }

  private get inFlight(): WeakMap<ClientHttp2Stream, Http2Session> {
    return (this._inFlight ??= new WeakMap());
  }

  private get pending(): WeakMap<Http2Session, PendingSession> {
    return (this._pending ??= new WeakMap());
  }

  private get watched(): Set<Http2Session> {
    return (this._watched ??= new Set());
  }

  private get connectObserver(): ConnectObserver {
    return { attemptStarted: (connector, address, options) => this.onConnectAttempt(connector, address, options) };
  }

  private get wrapper(): Wrapper {
    return { wrap: (prototype, name, wrapper) => this._wrap(prototype, name, wrapper), unwrap: (prototype, name) => this._unwrap(prototype, name) };
  }

  protected override init(): InstrumentationModuleDefinition[] {
    return [grpcJsModuleDefinition(this.connectObserver, this.wrapper)];
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
        if (versionInRange(copy.version, '1.13.0', '2.0.0') && patchTransport(exports, this.connectObserver, this.wrapper)) {
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
    this.endDestroyedSessions();
    return this.tracker.open();
  }

  protected override onDisabled(): void {
    for (const exports of this._latePatched ?? []) unpatchTransport(exports, this.wrapper);
    this._latePatched = undefined;
    const listeners = this._listeners;
    if (listeners) {
      for (const session of this.watched) {
        session.removeListener('connect', listeners.connect);
        session.removeListener('goaway', listeners.goaway);
        session.removeListener('close', listeners.close);
      }
    }
    this._watched = undefined;
    this._tracker?.clear();
    this._pendingStreams = undefined;
    this._inFlight = undefined;
    this._pending = undefined;
    this._ends = undefined;
  }

  protected channelHandlers(): ChannelHandlers {
    return {
      [Http2Channel.StreamCreated]: (message: StreamMessage) => this.onStreamCreated(message),
      [Http2Channel.StreamStart]: (message: StreamMessage) => this.onStreamStart(message),
      [Http2Channel.StreamError]: (message: StreamErrorMessage) => this.onStreamError(message),
      [Http2Channel.StreamClose]: (message: StreamMessage) => this.onStreamClose(message),
    };
  }

  // --- HTTP/2 channels: sessions and streams ---------------------------------

  /** `request()` was called; catches sessions that are still connecting. */
  /** A session over a socket another instrumentation counts (undici's HTTP/2). */
  private ownedElsewhere(session: Http2Session): boolean {
    if (this.tracker.get(session) || this.pending.has(session)) return false; // ours: the per-call fast path
    const socket = sessionSocket(session);
    const owner = socket && connectionOwner(socket);
    return owner !== undefined && owner !== PACKAGE_NAME;
  }

  private onStreamCreated({ stream, headers }: StreamMessage): void {
    if (isPushed(stream)) return;
    const session = stream.session;
    if (!session?.connecting || this.ownedElsewhere(session)) return;
    this.pendingStreams.set(stream, session);
    if (this.pending.has(session) || this.tracker.get(session)) return;
    const target = this.targetOf(session, headers);
    this.pending.set(session, target);
    this.claimSessionSocket(session, this.attributesOf(target));
    this.watch(session);
  }

  /** The stream was sent on a connected session: one use of it. */
  private onStreamStart({ stream, headers }: StreamMessage): void {
    if (isPushed(stream)) return;
    const session = stream.session;
    if (!session || this.ownedElsewhere(session)) return;
    if (!this.tracker.get(session)) {
      // Node runs a connecting session's queued requests from its own 'connect'
      // listener, which may come before ours: the session is ready now.
      if (this.pending.has(session)) this.sessionReady(session);
      // Stream 1 is the first request of a session: a new connection, whose
      // setup this use paid for (grpc-js sends no request before it is ready).
      else if (stream.id === 1) this.sessionReady(session, this.targetOf(session, headers));
      // Otherwise the session was open before this instrumentation saw it:
      // adopt() tracks it, and counts the use as reused.
    }
    if (!this.tracker.used(session)) {
      this.watch(session); // adopted: its close still ends it
      this.tracker.adopt(session, this.attributesOf(this.targetOf(session, headers), session));
    }
    this.inFlight.set(stream, session);
  }

  private onStreamError({ stream, error }: StreamErrorMessage): void {
    const session = this.pendingStreams.get(stream);
    const pending = session && this.pending.get(session);
    if (pending && pending.error === undefined) pending.error = error;
  }

  private onStreamClose({ stream }: StreamMessage): void {
    const session = this.inFlight.get(stream);
    if (!session) return;
    this.inFlight.delete(stream);
    this.tracker.released(session);
  }

  /** Records a connected session as created, once. */
  private sessionReady(session: Http2Session, target?: SessionTarget): void {
    const pending = this.pending.get(session);
    this.pending.delete(session);
    const known = pending ?? target;
    if (known && !this.tracker.get(session)) this.sessionCreated(session, this.attributesOf(known, session));
  }

  /** Counts a connected session as created (once), claims its socket, watches its close. */
  private sessionCreated(session: Http2Session, attributes: Attributes): void {
    if (this.tracker.get(session)) return;
    this.tracker.created(session, attributes);
    this.claimSessionSocket(session, attributes);
    this.watch(session);
  }

  private onSessionClose(session: Http2Session): void {
    this.watched.delete(session);
    const listeners = this.listeners;
    session.removeListener('connect', listeners.connect);
    session.removeListener('goaway', listeners.goaway);
    const pending = this.pending.get(session);
    if (pending) {
      this.pending.delete(session);
      this._connectionInstruments.failed.add(1, {
        ...this.attributesOf(pending),
        [ATTR_ERROR_TYPE]: errorType(sessionError(pending.error)),
      });
      return;
    }
    const cause = sessionCloseCause(session, sessionSocket(session) as never, this._ends?.get(session), this.tracker.get(session));
    const state = this.tracker.closed(session, cause);
    // An adopted session's lifetime began before it was seen: not recorded.
    if (state?.observedFromStart) {
      this._httpInstruments.connectionDuration.record((performance.now() - state.readyAt) / 1000, state.attributes);
    }
  }

  /**
   * Ends sessions destroyed without our 'close' listener running (someone
   * called `removeAllListeners()` on them), so the gauge cannot drift.
   */
  private endDestroyedSessions(): void {
    for (const session of this._watched ?? []) if (session.destroyed) this.onSessionClose(session);
  }

  /** Adds this instrumentation's 'connect' and 'close' listeners to a session, once. */
  private watch(session: Http2Session): void {
    if (this.watched.has(session)) return;
    this.watched.add(session);
    const listeners = this.listeners;
    if (session.connecting) session.once('connect', listeners.connect);
    session.once('goaway', listeners.goaway);
    session.once('close', listeners.close);
  }

  private get listeners(): SessionListeners {
    if (this._listeners) return this._listeners;
    const instrumentation = this;
    this._listeners = {
      connect(this: Http2Session) {
        const session = this;
        instrumentation.guarded('session connect', () => {
          if (instrumentation.pending.has(session)) instrumentation.sessionReady(session);
        });
      },
      goaway(this: Http2Session, errorCode: number) {
        const session = this;
        instrumentation.guarded('session goaway', () => instrumentation.sessionEnd(session).goawayCode = errorCode);
      },
      close(this: Http2Session) {
        const session = this;
        instrumentation.guarded('session close', () => instrumentation.onSessionClose(session));
      },
    };
    return this._listeners;
  }

  private sessionEnd(session: Http2Session): SessionEnd {
    const ends = (this._ends ??= new WeakMap());
    let end = ends.get(session);
    if (!end) ends.set(session, (end = {}));
    return end;
  }

  /** Claims the DNS, TCP and TLS phases of the socket the session was connected over. */
  private claimSessionSocket(session: Http2Session, attributes: Attributes): void {
    const socket = sessionSocket(session);
    if (socket) this.claimSocket(socket, attributes);
  }

  private targetOf(session: Http2Session, headers: Headers): SessionTarget {
    const grpc = isGrpcRequest(headers);
    const defaultPort = grpc || session.encrypted ? GRPC_DEFAULT_PORT : 80;
    return { protocol: grpc ? PROTOCOL_GRPC : PROTOCOL_HTTP, endpoint: parseAuthority(authorityOf(headers), defaultPort) };
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
      if (!this.isEnabled()) return;
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
      sessionConnected: (session, attributes, idleTimeoutMs) => {
        if (idleTimeoutMs !== undefined) this.sessionEnd(session).idleTimeoutMs = idleTimeoutMs;
        this.sessionCreated(session, attributes);
      },
    });
  }
}
