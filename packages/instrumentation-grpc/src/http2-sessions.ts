/*
 * The bookkeeping of HTTP/2 client sessions (connections) and their streams
 * (uses), from Node's `http2.client.stream.*` channels: a session seen while
 * connecting is pending (created on 'connect', failed on 'close' before it);
 * a session first seen at a stream on a connected session is created when
 * that stream is its first (id 1), else adopted. Each watched session carries
 * this module's 'connect', 'goaway' and 'close' listeners, removed on clear().
 */
import type { ClientHttp2Stream, Http2Session, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { Attributes, DiagLogger } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ConnectionTracker,
  connectionOwner,
  errorType,
  seconds,
  type ConnectionInstruments,
  type ConnectionState,
  type HttpConnectionInstruments,
} from '@connmetrics/core';
import { GRPC_DEFAULT_PORT, parseAuthority, type ServerEndpoint } from './authority';
import type { StreamErrorMessage, StreamMessage } from './channels';
import { sessionCloseCause, type SessionEnd } from './close-cause';
import { isPushed, sessionError, sessionSocket } from './http2-session';
import { authorityOf, isGrpcRequest } from './request-headers';

export const PROTOCOL_GRPC = 'grpc';
export const PROTOCOL_HTTP = 'http';

type Headers = OutgoingHttpHeaders | IncomingHttpHeaders | undefined;

/** Where a session goes and what it carries, known from its first request. */
export interface SessionTarget {
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

/** What the bookkeeping needs from the instrumentation. */
export interface SessionsHost {
  readonly connectionInstruments: ConnectionInstruments;
  readonly httpInstruments: HttpConnectionInstruments;
  readonly diag: DiagLogger;
  /** This package's name: sessions over sockets another package owns are left to it. */
  readonly owner: string;
  /** Whether this instance counts `session` for its MeterProvider (see ConnectionInstrumentationBase.claim). */
  claim(session: object): boolean;
  guarded(name: string, hook: () => void): void;
  /** A connection's attributes; `network.peer.address` from the session when configured. */
  attributesOf(target: SessionTarget, session?: Http2Session): Attributes;
  claimSocket(socket: object, attributes: Attributes): void;
}

export class Http2Sessions {
  private readonly tracker: ConnectionTracker;
  /** Streams requested on a connecting session → the session (`stream.session` is unset on error). */
  private pendingStreams = new WeakMap<ClientHttp2Stream, Http2Session>();
  /** Streams counted as a use and not yet closed → their session. */
  private inFlight = new WeakMap<ClientHttp2Stream, Http2Session>();
  private pending = new WeakMap<Http2Session, PendingSession>();
  /** Sessions carrying this module's listeners, to remove them on clear(). */
  private watched = new Set<Http2Session>();
  /** What each watched session showed before its close (GOAWAY, grpc-js idle timeout). */
  private ends = new WeakMap<Http2Session, SessionEnd>();
  private readonly listeners: SessionListeners;

  constructor(private readonly host: SessionsHost) {
    this.tracker = new ConnectionTracker(() => host.connectionInstruments, () => host.diag);
    const sessions = this;
    this.listeners = {
      connect(this: Http2Session) {
        const session = this;
        host.guarded('session connect', () => {
          if (sessions.pending.has(session)) sessions.sessionReady(session);
        });
      },
      goaway(this: Http2Session, errorCode: number) {
        const session = this;
        host.guarded('session goaway', () => void (sessions.endOf(session).goawayCode = errorCode));
      },
      close(this: Http2Session) {
        const session = this;
        host.guarded('session close', () => sessions.onSessionClose(session));
      },
    };
  }

  /** The sessions open now, for the open-connections gauge. */
  open(): Iterable<ConnectionState> {
    this.endDestroyedSessions();
    return this.tracker.open();
  }

  /** Forgets every session and removes every listener (on disable). */
  clear(): void {
    for (const session of this.watched) this.unwatch(session);
    this.watched = new Set();
    this.tracker.clear();
    this.pendingStreams = new WeakMap();
    this.inFlight = new WeakMap();
    this.pending = new WeakMap();
    this.ends = new WeakMap();
  }

  /** `request()` was called; catches sessions that are still connecting. */
  streamCreated({ stream, headers }: StreamMessage): void {
    if (isPushed(stream)) return;
    const session = stream.session;
    if (!session?.connecting || this.ownedElsewhere(session)) return;
    this.pendingStreams.set(stream, session);
    if (this.pending.has(session) || this.tracker.get(session)) return;
    const target = targetOf(session, headers);
    this.pending.set(session, target);
    this.claimSessionSocket(session, this.host.attributesOf(target));
    this.watch(session);
  }

  /** The stream was sent on a connected session: one use of it. */
  streamStart({ stream, headers }: StreamMessage): void {
    if (isPushed(stream)) return;
    const session = stream.session;
    if (!session || this.ownedElsewhere(session)) return;
    if (!this.tracker.get(session)) {
      // Node runs a connecting session's queued requests from its own 'connect'
      // listener, which may come before ours: the session is ready now.
      if (this.pending.has(session)) this.sessionReady(session);
      // Stream 1 is the first request of a session: a new connection, whose
      // setup this use paid for (grpc-js sends no request before it is ready).
      else if (stream.id === 1) this.sessionReady(session, targetOf(session, headers));
      // Otherwise the session was open before this instrumentation saw it:
      // adopt() tracks it, and counts the use as reused.
    }
    if (!this.tracker.used(session)) {
      this.watch(session); // adopted: its close still ends it
      this.tracker.adopt(session, this.host.attributesOf(targetOf(session, headers), session));
    }
    this.inFlight.set(stream, session);
  }

  streamError({ stream, error }: StreamErrorMessage): void {
    const session = this.pendingStreams.get(stream);
    const pending = session && this.pending.get(session);
    if (pending && pending.error === undefined) pending.error = error;
  }

  streamClose({ stream }: StreamMessage): void {
    const session = this.inFlight.get(stream);
    if (!session) return;
    this.inFlight.delete(stream);
    this.tracker.released(session);
  }

  /** Counts a connected session as created (once), claims its socket, watches its close (from the grpc-js patch). */
  sessionCreated(session: Http2Session, attributes: Attributes, idleTimeoutMs?: number): void {
    const known = this.tracker.get(session) !== undefined;
    if (!known && !this.host.claim(session)) return; // another instance of this instrumentation counts it
    if (idleTimeoutMs !== undefined) this.endOf(session).idleTimeoutMs = idleTimeoutMs;
    if (known) return;
    this.tracker.created(session, attributes);
    this.claimSessionSocket(session, attributes);
    this.watch(session);
  }

  /** A session over a socket another instrumentation counts (undici's HTTP/2). */
  private ownedElsewhere(session: Http2Session): boolean {
    if (this.tracker.get(session) || this.pending.has(session)) return false; // ours: the per-call fast path
    if (!this.host.claim(session)) return true; // another instance of this instrumentation counts it
    const socket = sessionSocket(session);
    const owner = socket && connectionOwner(socket);
    return owner !== undefined && owner !== this.host.owner;
  }

  /** Records a connected session as created, once. */
  private sessionReady(session: Http2Session, target?: SessionTarget): void {
    const pending = this.pending.get(session);
    this.pending.delete(session);
    const known = pending ?? target;
    if (known && !this.tracker.get(session)) this.sessionCreated(session, this.host.attributesOf(known, session));
  }

  private onSessionClose(session: Http2Session): void {
    this.watched.delete(session);
    this.unwatch(session);
    const pending = this.pending.get(session);
    if (pending) {
      this.pending.delete(session);
      this.host.connectionInstruments.failed.add(1, {
        ...this.host.attributesOf(pending),
        [ATTR_ERROR_TYPE]: errorType(sessionError(pending.error)),
      });
      return;
    }
    const cause = sessionCloseCause(session, this.ends.get(session), this.tracker.get(session));
    const state = this.tracker.closed(session, cause);
    // An adopted session's lifetime began before it was seen: not recorded.
    if (state?.observedFromStart) {
      this.host.httpInstruments.connectionDuration.record(seconds(state.readyAt), state.attributes);
    }
  }

  /**
   * Ends sessions destroyed without our 'close' listener running (someone
   * called `removeAllListeners()` on them), so the gauge cannot drift.
   */
  private endDestroyedSessions(): void {
    for (const session of this.watched) if (session.destroyed) this.onSessionClose(session);
  }

  /** Adds this module's 'connect', 'goaway' and 'close' listeners to a session, once. */
  private watch(session: Http2Session): void {
    if (this.watched.has(session)) return;
    this.watched.add(session);
    this.endOf(session).socket = sessionSocket(session) as SessionEnd['socket'];
    if (session.connecting) session.once('connect', this.listeners.connect);
    session.once('goaway', this.listeners.goaway);
    session.once('close', this.listeners.close);
  }

  private unwatch(session: Http2Session): void {
    session.removeListener('connect', this.listeners.connect);
    session.removeListener('goaway', this.listeners.goaway);
    session.removeListener('close', this.listeners.close);
  }

  private endOf(session: Http2Session): SessionEnd {
    let end = this.ends.get(session);
    if (!end) this.ends.set(session, (end = {}));
    return end;
  }

  /** Claims the DNS, TCP and TLS phases of the socket the session was connected over. */
  private claimSessionSocket(session: Http2Session, attributes: Attributes): void {
    const socket = sessionSocket(session);
    if (socket) this.host.claimSocket(socket, attributes);
  }
}

function targetOf(session: Http2Session, headers: Headers): SessionTarget {
  const grpc = isGrpcRequest(headers);
  const defaultPort = grpc || session.encrypted ? GRPC_DEFAULT_PORT : 80;
  return { protocol: grpc ? PROTOCOL_GRPC : PROTOCOL_HTTP, endpoint: parseAuthority(authorityOf(headers), defaultPort) };
}
