/*
 * Counts ioredis connections and uses from the events the channels (or the
 * legacy patches) report. A client holds one connection at a time: its
 * socket, which identifies the connection here. A connection is created
 * when its attempt reaches `ready`; a command written while the client is
 * `ready` is a use of the client's socket, unless it is housekeeping;
 * commands written before are the handshake.
 */
import { performance } from 'node:perf_hooks';
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ConnectionTracker,
  errorType,
  seconds,
  type ConnectionInstruments,
  type ConnectionState,
  type DbConnectionInstruments,
  causeOf,
} from '@connmetrics/core';
import type { DiagLogger } from '@opentelemetry/api';
import { isFatalHandshakeCommand, isHousekeeping } from './command-kind';
import { ConnectAttempts, socketOf, type ConnectAttempt } from './connect-attempts';
import { redisErrorType } from './error-type';
import type { RedisEvents } from './redis-events';
import { STATUSES_ALREADY_CONNECTING, STATUS_READY, type RedisClient, type RedisSocket } from './redis-shapes';
import { SocketCloseWatch } from './socket-close-watch';

/** What the counter needs from its instrumentation. */
export interface CounterHost {
  readonly connectionInstruments: ConnectionInstruments;
  readonly dbInstruments: DbConnectionInstruments;
  readonly diag: DiagLogger;
  /** The attributes of a client's connection. */
  attributesOf(client: RedisClient, socket: RedisSocket | undefined): Attributes;
  /** Hands the socket's DNS, TCP and TLS phases to the shared socket timing. */
  claimSocket(socket: RedisSocket, attributes: Attributes): void;
}

export class RedisConnectionCounter implements RedisEvents {
  private readonly tracker = new ConnectionTracker(() => this.host.connectionInstruments, () => this.host.diag);
  private readonly attempts = new ConnectAttempts();
  /** Command → the socket it uses, until its reply. */
  private uses = new WeakMap<object, RedisSocket>();
  /** Handshake command → the attempt it belongs to, until its reply. */
  private handshakes = new WeakMap<object, ConnectAttempt>();
  private readonly closeWatch: SocketCloseWatch;

  constructor(private readonly host: CounterHost) {
    this.closeWatch = new SocketCloseWatch(
      (socket) => this.tracker.closed(socket, causeOf(socket.errored ? errorType(socket.errored) : undefined)),
      host.diag,
    );
  }

  /** The connections open now, for the connection count. */
  open(): ReadonlySet<ConnectionState> {
    return this.tracker.open();
  }

  /** Forgets everything and removes every listener (on disable). */
  clear(): void {
    this.tracker.clear();
    this.attempts.clear();
    this.uses = new WeakMap();
    this.handshakes = new WeakMap();
    this.closeWatch.stopAll();
  }

  connectStarted(client: RedisClient, token: object): boolean {
    if (STATUSES_ALREADY_CONNECTING.has(client.status ?? '')) return false; // connect() will reject at once
    if (!this.tracker.claim(client)) return false; // another instance of the instrumentation counts this client
    this.attempts.begin(client, token);
    return true;
  }

  connectSucceeded(token: object): void {
    const attempt = this.attempts.take(token);
    if (!attempt || attempt.settled) return;
    const socket = socketOf(attempt);
    if (socket) this.created(attempt, socket);
  }

  connectFailed(token: object, error: unknown): void {
    const attempt = this.attempts.take(token);
    if (!attempt || attempt.settled) return;
    attempt.settled = true;
    const socket = socketOf(attempt);
    const attributes = this.host.attributesOf(attempt.client, socket);
    this.host.connectionInstruments.failed.add(1, { ...attributes, [ATTR_ERROR_TYPE]: failureType(attempt, socket, error) });
    if (socket) this.host.claimSocket(socket, attributes);
  }

  commandStarted(client: RedisClient, command: object, name: unknown, firstArgument: unknown): void {
    if (client.status !== STATUS_READY) {
      // Written before ready: part of the handshake. Its failure may explain a failed attempt.
      const attempt = this.attempts.unsettled(client);
      if (attempt && isFatalHandshakeCommand(name)) this.handshakes.set(command, attempt);
      return;
    }
    const socket = client.stream;
    if (!socket) return;
    // ioredis sends the commands queued while connecting as soon as the
    // connection is ready, before connect() resolves: the first of them
    // marks the connection created.
    if (!this.tracker.get(socket)) {
      const attempt = this.attempts.unsettled(client);
      if (attempt && socketOf(attempt) === socket) this.created(attempt, socket);
    }
    if (isHousekeeping(name, firstArgument)) return;
    if (!this.tracker.used(socket)) {
      if (!this.tracker.claim(socket)) return; // another instance counts this connection
      this.tracker.adopt(socket, this.adopted(client, socket));
    }
    this.uses.set(command, socket);
  }

  commandEnded(command: object, failed: boolean, error: unknown): void {
    const socket = this.uses.get(command);
    if (socket) {
      this.uses.delete(command);
      this.tracker.released(socket);
      return;
    }
    const attempt = this.handshakes.get(command);
    if (attempt) {
      this.handshakes.delete(command);
      if (failed && attempt.handshakeError === undefined) attempt.handshakeError = error ?? new Error('handshake failed');
    }
  }

  private created(attempt: ConnectAttempt, socket: RedisSocket): void {
    attempt.settled = true;
    const attributes = this.host.attributesOf(attempt.client, socket);
    this.tracker.created(socket, attributes);
    this.host.dbInstruments.createTime.record(seconds(attempt.startedAt), attributes);
    this.host.claimSocket(socket, attributes);
    this.closeWatch.watch(socket);
  }

  /** Attributes of a connection opened before the instrumentation was enabled, first seen at a use. */
  private adopted(client: RedisClient, socket: RedisSocket): Attributes {
    this.closeWatch.watch(socket);
    return this.host.attributesOf(client, socket);
  }
}

/**
 * Why an attempt failed: the socket's error (ECONNREFUSED, ENOTFOUND, a TLS
 * verification code), else the fatal handshake reply (WRONGPASS, NOAUTH),
 * else ETIMEDOUT when the attempt outlasted `connectTimeout` (ioredis then
 * destroys the socket without an error), else what connect() rejected with.
 */
function failureType(attempt: ConnectAttempt, socket: RedisSocket | undefined, error: unknown): string {
  if (socket?.errored) return errorType(socket.errored);
  if (attempt.handshakeError !== undefined) return redisErrorType(attempt.handshakeError);
  const timeout = attempt.client.options?.connectTimeout;
  if (typeof timeout === 'number' && timeout > 0 && performance.now() - attempt.startedAt >= timeout) return 'ETIMEDOUT';
  return redisErrorType(error);
}
