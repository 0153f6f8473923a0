/*
 * Socket phase timing: DNS lookup, TCP connect and TLS handshake of client
 * sockets, for every protocol through one code path.
 *
 * Node publishes every client socket on the `net.client.socket` channel when
 * it starts connecting (net.connect, new net.Socket().connect, tls.connect;
 * Node 22 and 24). A timeline starts there and follows the socket's own
 * 'lookup', 'connect', 'secureConnect' and 'close' events, passively: no
 * 'error' listener is ever added, so unhandled errors stay unhandled.
 * Nothing is recorded until a protocol instrumentation claims the socket;
 * the first claim for a MeterProvider wins, so one socket is never recorded
 * twice to a provider, an instance on another provider records it too, and
 * sockets nobody claims (an exporter's, say) record nothing.
 *
 * Not covered by the channel: TLS started on an existing socket
 * (`tls.connect({ socket })`, as PostgreSQL does after SSLRequest). For those,
 * `timeTlsUpgrade()` starts the timeline at the start of TLS.
 */
import * as diagnosticsChannel from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { diag, type Attributes } from '@opentelemetry/api';
import { withAttribute } from './attribute-sets';
import { reportFailure } from './guard';
import { errorType } from './attributes';
import { seconds } from './helpers';
import { tlsHandshakeAttributes, tlsOutcomeOf, type TlsOutcome } from './tls-handshake';
import type { ConnectionInstruments } from './instruments';
import { ATTR_DNS_QUESTION_NAME, ATTR_ERROR_TYPE } from './semconv';

const NET_CLIENT_SOCKET = 'net.client.socket';

/** Socket listeners run inside the socket's emit(): nothing may escape them. */
const logger = diag.createComponentLogger({ namespace: '@connmetrics/core/socket-phases' });

/** Where a claimed socket's phases are recorded. */
export interface PhaseTarget {
  readonly instruments: ConnectionInstruments;
  /** The connection's attributes (`network.protocol.name`, `server.address`, `server.port`, ...). */
  readonly attributes: Attributes;
}

const DNS = 1;
const CONNECT = 2;
const TLS = 4;

/** A target beyond the first (an instance on another MeterProvider), with what it has recorded. */
interface ExtraTarget {
  readonly target: PhaseTarget;
  emitted: number;
}

/** The MeterProvider a target records to (targets without claims are one group). */
const providerOf = (target: PhaseTarget): object | undefined => target.instruments.claims?.provider;

class SocketTimeline {
  readonly startedAt = performance.now();
  lookupAt?: number;
  lookupHost?: string;
  lookupError?: string;
  connectedAt?: number;
  connectError?: string;
  tlsStartedAt?: number;
  secureAt?: number;
  tlsError?: string;
  /** What the finished handshake told (`secureConnect`). */
  tlsOutcome?: TlsOutcome;
  target?: PhaseTarget;
  /** Targets on other MeterProviders; a field of every timeline, so a copy of core can tell it is understood. */
  more: ExtraTarget[] | undefined = undefined;
  /** No phase is left to follow (its listeners are gone). */
  ended = false;
  private emitted = 0;

  /**
   * @param tls whether a TLS handshake follows (or is) the connect
   * @param followsConnect whether DNS and TCP are followed too (not for TLS upgraded on a connected socket)
   */
  constructor(
    readonly tls: boolean,
    readonly followsConnect: boolean,
  ) {}

  /** Records every finished phase not yet recorded, to each target known. */
  flush(): void {
    const target = this.target;
    if (!target) return;
    this.emitted = this.record(target, this.emitted);
    const more = this.more;
    if (more !== undefined) for (const extra of more) extra.emitted = this.record(extra.target, extra.emitted);
  }

  /** Records to `target` the finished phases not in `emitted`; returns what it has recorded now. */
  private record(target: PhaseTarget, emitted: number): number {
    const { instruments, attributes } = target;
    if (this.lookupAt !== undefined && !(emitted & DNS)) {
      emitted |= DNS;
      let dnsAttributes = attributes;
      if (this.lookupHost) dnsAttributes = withAttribute(dnsAttributes, ATTR_DNS_QUESTION_NAME, this.lookupHost);
      if (this.lookupError) dnsAttributes = withAttribute(dnsAttributes, ATTR_ERROR_TYPE, this.lookupError);
      instruments.dnsLookupDuration.record(seconds(this.startedAt, this.lookupAt), dnsAttributes);
    }
    const connectEnd = this.connectedAt;
    if ((connectEnd !== undefined || this.connectError) && !(emitted & CONNECT)) {
      emitted |= CONNECT;
      const from = this.lookupAt ?? this.startedAt;
      if (connectEnd !== undefined) {
        instruments.connectDuration.record(seconds(from, connectEnd), attributes);
      } else if (this.connectError) {
        instruments.connectDuration.record(seconds(from), withAttribute(attributes, ATTR_ERROR_TYPE, this.connectError));
      }
    }
    if (this.tlsStartedAt !== undefined && (this.secureAt !== undefined || this.tlsError) && !(emitted & TLS)) {
      emitted |= TLS;
      const outcome: TlsOutcome = this.tlsError ? { resumed: false, error: this.tlsError } : (this.tlsOutcome ?? { resumed: false });
      const end = this.secureAt ?? performance.now();
      instruments.tlsHandshakeDuration.record(seconds(this.tlsStartedAt, end), tlsHandshakeAttributes(attributes, outcome));
    }
    return emitted;
  }

  /** Whether a target on `target`'s MeterProvider has claimed this socket already. */
  hasProviderOf(target: PhaseTarget): boolean {
    const provider = providerOf(target);
    if (this.target !== undefined && providerOf(this.target) === provider) return true;
    return this.more?.some((extra) => providerOf(extra.target) === provider) ?? false;
  }
}

/** Process-wide state, shared by every copy of this module so that each socket is timed once. */
interface PhaseRegistry {
  readonly timelines: WeakMap<object, SocketTimeline>;
  readonly users: Set<object>;
  pending: PhaseTarget | undefined;
  /** Next-socket claims of instances on other MeterProviders than `pending`'s (added in this copy; older ones ignore it). */
  pendingMore?: PhaseTarget[] | undefined;
  onSocket?: (message: unknown) => void;
}

const REGISTRY = Symbol.for('connmetrics.core.socket-phases.v1');

function registry(): PhaseRegistry {
  const holder = globalThis as { [REGISTRY]?: PhaseRegistry };
  return (holder[REGISTRY] ??= { timelines: new WeakMap(), users: new Set(), pending: undefined });
}

/** The registry never changes once made (by whichever copy came first). */
const phases = registry();

/** What one event tells a socket's timeline (`error` and `host` are the 'lookup' event's). */
type PhaseEvent = (socket: Socket, timeline: SocketTimeline, error: unknown, host: unknown) => void;

/**
 * A socket listener: one function of each kind for every socket (the socket
 * is `this`), so that following a socket allocates its timeline and nothing
 * else, no closure and no once() wrapper. Whatever the event tells is
 * recorded once the socket is claimed; nothing escapes into the socket's emit().
 */
function listener(name: string, event: PhaseEvent) {
  return function (this: Socket, error?: unknown, _address?: unknown, _family?: unknown, host?: unknown): void {
    const timeline = phases.timelines.get(this);
    if (!timeline) return;
    try {
      event(this, timeline, error, host);
      settle(this, timeline);
    } catch (failure) {
      reportFailure(logger, name, failure);
    }
  };
}

const onLookup = listener('lookup', (_socket, timeline, error, host) => {
  timeline.lookupAt = performance.now();
  if (typeof host === 'string') timeline.lookupHost = host;
  if (error) timeline.lookupError = errorType(error);
});

const onConnect = listener('connect', (socket, timeline) => {
  timeline.connectedAt = performance.now();
  if (timeline.tls) timeline.tlsStartedAt = timeline.connectedAt;
  else end(socket, timeline);
});

const onSecureConnect = listener('secureConnect', (socket, timeline) => {
  timeline.secureAt = performance.now();
  timeline.tlsOutcome = tlsOutcomeOf(socket as TLSSocket);
  end(socket, timeline);
});

const onClose = listener('close', (socket, timeline) => {
  const error = errorType((socket as { errored?: unknown }).errored ?? null);
  if (timeline.tlsStartedAt !== undefined && timeline.secureAt === undefined) {
    timeline.tlsError = error;
  } else if (timeline.connectedAt === undefined && timeline.lookupError === undefined && timeline.followsConnect) {
    timeline.connectError = error;
  }
  end(socket, timeline);
});

function follow(socket: Socket, timeline: SocketTimeline): void {
  phases.timelines.set(socket, timeline);
  if (timeline.followsConnect) {
    socket.on('lookup', onLookup);
    socket.on('connect', onConnect);
  }
  if (timeline.tls) socket.on('secureConnect', onSecureConnect);
  socket.on('close', onClose);
}

/** The last phase followed ended: its listeners are taken back. */
function end(socket: Socket, timeline: SocketTimeline): void {
  timeline.ended = true;
  unfollow(socket);
}

/**
 * Records what finished; a socket whose phases are all recorded is
 * forgotten at once rather than when it is collected (a WeakMap entry that
 * outlives its use costs the garbage collector more than the entry itself).
 * Not a TLS upgrade's, whose entry is what keeps it from being timed twice.
 */
function settle(socket: object, timeline: SocketTimeline): void {
  timeline.flush();
  if (timeline.ended && timeline.target !== undefined && timeline.followsConnect) phases.timelines.delete(socket);
}

/** Takes back the listeners (no-ops for those never added). */
function unfollow(socket: Socket): void {
  socket.removeListener('lookup', onLookup);
  socket.removeListener('connect', onConnect);
  socket.removeListener('secureConnect', onSecureConnect);
  socket.removeListener('close', onClose);
}

function onClientSocket(message: unknown): void {
  try {
    const socket = (message as { socket?: Socket } | undefined)?.socket;
    if (!socket || typeof socket.on !== 'function') return;
    // A socket connected again: its previous timeline is over.
    if (phases.timelines.has(socket)) unfollow(socket);
    const timeline = new SocketTimeline(socket instanceof TLSSocket, true);
    follow(socket, timeline);
    const pending = phases.pending;
    if (pending) {
      phases.pending = undefined;
      timeline.target = pending;
      const more = phases.pendingMore;
      if (more !== undefined) {
        phases.pendingMore = undefined;
        timeline.more = more.map((target) => ({ target, emitted: 0 }));
      }
    }
  } catch {
    // Timing is best effort; a socket we cannot follow is simply not timed.
  }
}

/**
 * Starts phase timing for every client socket while at least one user holds
 * it; `releaseSocketPhases` lets go. Both are idempotent per user.
 */
export function acquireSocketPhases(user: object): void {
  if (phases.users.has(user)) return;
  phases.users.add(user);
  if (phases.users.size === 1) {
    phases.onSocket = onClientSocket;
    diagnosticsChannel.subscribe(NET_CLIENT_SOCKET, phases.onSocket);
  }
}

export function releaseSocketPhases(user: object): void {
  if (!phases.users.delete(user)) return;
  if (phases.users.size === 0 && phases.onSocket) {
    diagnosticsChannel.unsubscribe(NET_CLIENT_SOCKET, phases.onSocket);
    phases.onSocket = undefined;
    phases.pending = undefined;
    phases.pendingMore = undefined;
  }
}

/**
 * Claims a socket's phases for a target. Phases already finished are recorded
 * now, later ones when they finish. Returns false when the socket was not
 * followed (opened before timing started, or its phases all recorded
 * already) or is already claimed for the target's MeterProvider.
 */
export function claimSocketPhases(socket: object, target: PhaseTarget): boolean {
  const timeline = phases.timelines.get(socket);
  if (!timeline) return false;
  if (timeline.target === undefined) {
    timeline.target = target;
  } else {
    // A timeline made by an older copy of core has no `more`: its first target stays the only one.
    if (!('more' in timeline) || timeline.hasProviderOf(target)) return false;
    (timeline.more ??= []).push({ target, emitted: 0 });
  }
  try {
    settle(socket, timeline);
  } catch (failure) {
    reportFailure(logger, 'claim', failure);
  }
  return true;
}

/**
 * Claims the next client socket that starts connecting in the current
 * synchronous run. For libraries that announce a connection attempt before
 * they create its socket but give no socket when the attempt fails (undici's
 * `beforeConnect`/`connectError`). The claim lapses at the next microtask.
 */
export function claimNextSocketPhases(target: PhaseTarget): void {
  if (phases.users.size === 0) return;
  const pending = phases.pending;
  if (pending !== undefined && providerOf(pending) !== providerOf(target)) {
    // Another instance, on another MeterProvider, claimed the same socket-to-be.
    const more = (phases.pendingMore ??= []);
    if (!more.some((other) => providerOf(other) === providerOf(target))) more.push(target);
    return;
  }
  phases.pending = target;
  phases.pendingMore = undefined;
  queueMicrotask(() => {
    if (phases.pending === target) {
      phases.pending = undefined;
      phases.pendingMore = undefined;
    }
  });
}

/**
 * Times a TLS handshake started on an already connected socket, from now to
 * 'secureConnect' (or to 'close' when it fails, with `error.type`). Without a
 * target (a library that says whose connection it is only once it is ready,
 * like a mysql2 pool), the phase waits for `claimSocketPhases()`.
 */
export function timeTlsUpgrade(tlsSocket: TLSSocket, target?: PhaseTarget): void {
  if (phases.timelines.has(tlsSocket)) return;
  const timeline = new SocketTimeline(true, false);
  timeline.tlsStartedAt = timeline.startedAt;
  timeline.target = target;
  follow(tlsSocket, timeline);
}

/** Whether a socket's phases are being followed (for tests and diagnostics). */
export function isSocketFollowed(socket: object): boolean {
  return phases.timelines.has(socket);
}
