/*
 * Counts ioredis connections and uses from what the patches report. A client
 * holds one connection at a time: its socket, which identifies the
 * connection here. A connection is created when its attempt reaches `ready`;
 * a command written while the client is `ready` is a use of the client's
 * socket, unless it is housekeeping, and ends when a reply takes it off the
 * command queue; commands written before are the handshake.
 *
 * A command ioredis sends again on a new connection after the old one broke
 * (`autoResendUnfulfilledCommands`) is a use of the new connection too: the
 * new connection served it. Its use of the old connection failed: when that
 * connection was already used, that is a reuse failure.
 */
import { performance } from 'node:perf_hooks';
import type { Attributes, DiagLogger } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  CLOSE_REASON_CLIENT_CLOSED,
  ConnectionTracker,
  errorType,
  seconds,
  type CloseCause,
  type ConnectionInstruments,
  type ConnectionState,
  type DbConnectionInstruments,
  withAttribute,
} from '@connmetrics/core';
import { isFatalHandshakeCommand, isHousekeeping } from './command-kind';
import { ConnectAttempts, socketOf, type ConnectAttempt } from './connect-attempts';
import { ConnectWatch } from './connect-watch';
import { redisErrorType } from './error-type';
import { STATUSES_ALREADY_CONNECTING, STATUS_READY, type QueuedCommand, type RedisClient, type RedisCommand, type RedisDataHandler, type RedisSocket } from './redis-shapes';
import { ERROR_TYPE_CONNECTION_CLOSED, SocketCloseWatch } from './socket-close-watch';

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

export class RedisConnectionCounter {
  private readonly tracker: ConnectionTracker;
  private readonly attempts = new ConnectAttempts();
  private readonly connectWatch: ConnectWatch;
  private readonly closeWatch: SocketCloseWatch;

  constructor(private readonly host: CounterHost) {
    this.tracker = new ConnectionTracker(() => host.connectionInstruments, () => host.diag);
    this.connectWatch = new ConnectWatch((client, ready) => this.attemptSettled(client, ready), host.diag);
    this.closeWatch = new SocketCloseWatch((socket, cause) => this.closed(socket, cause), host.diag);
  }

  /** The connections open now, for the connection count. */
  open(): ReadonlySet<ConnectionState> {
    return this.tracker.open();
  }

  /** Forgets everything and removes every listener (on disable). */
  clear(): void {
    this.tracker.clear();
    this.attempts.clear();
    this.connectWatch.stopAll();
    this.closeWatch.stopAll();
  }

  /** `connect()` is called: an attempt, unless the client is already connecting or connected (then it rejects at once). */
  connecting(client: RedisClient): void {
    if (STATUSES_ALREADY_CONNECTING.has(client.status ?? '')) return;
    // The client is the subject of every claim: whoever counts it counts its connections.
    if (!this.tracker.claim(client)) return; // another instance of the instrumentation counts this client
    this.attempts.begin(client);
    this.connectWatch.watch(client);
  }

  /** Per command: allocation-free for the commands of a known ready connection. */
  commandSent(client: RedisClient, command: unknown): void {
    if (command === null || typeof command !== 'object') return;
    // Queued offline (not written): counted when ioredis writes it.
    if (client.commandQueue?.peekBack?.()?.command !== command) return;
    if (client.status !== STATUS_READY) return; // the handshake
    const socket = client.stream;
    if (!socket) return;
    const { name, args } = command as RedisCommand;
    if (isHousekeeping(name, args?.[0])) return;
    if (this.tracker.used(socket)) return;
    // ioredis writes the commands queued while connecting as soon as the
    // connection is ready, before its 'ready' listeners run: the first of
    // them marks the connection created.
    const attempt = this.attempts.unsettled(client);
    if (attempt && socketOf(attempt) === socket) this.created(attempt, socket);
    if (this.tracker.used(socket)) return;
    // A connection opened before the instrumentation was enabled, unless another instance counts its client.
    if (!this.tracker.claim(client) || !this.tracker.claim(socket)) return;
    this.tracker.adopt(socket, this.adopted(client, socket));
  }

  /** Per reply: the use of the command it answers ends; a handshake error reply explains a failed attempt. */
  replied(handler: RedisDataHandler, item: unknown, reply: unknown): void {
    const client = handler.redis;
    const command = (item as QueuedCommand).command;
    if (!client || !command) return;
    if (client.status !== STATUS_READY) {
      const attempt = reply instanceof Error ? this.attempts.unsettled(client) : undefined;
      if (attempt && attempt.handshakeError === undefined && isFatalHandshakeCommand(command.name)) attempt.handshakeError = reply;
      return;
    }
    const socket = client.stream;
    if (socket && !isHousekeeping(command.name, command.args?.[0])) this.tracker.released(socket);
  }

  private attemptSettled(client: RedisClient, ready: boolean): void {
    const attempt = this.attempts.unsettled(client);
    if (!attempt) return;
    const socket = socketOf(attempt);
    if (ready) {
      if (socket) this.created(attempt, socket);
      return;
    }
    attempt.settled = true;
    const attributes = this.host.attributesOf(client, socket);
    this.host.connectionInstruments.failed.add(1, withAttribute(attributes, ATTR_ERROR_TYPE, failureType(attempt, socket)));
    if (socket) this.host.claimSocket(socket, attributes);
  }

  private created(attempt: ConnectAttempt, socket: RedisSocket): void {
    attempt.settled = true;
    const attributes = this.host.attributesOf(attempt.client, socket);
    if (this.tracker.created(socket, attributes).counted === false) return; // another instance counts this connection
    this.host.dbInstruments.createTime.record(seconds(attempt.startedAt), attributes);
    this.host.claimSocket(socket, attributes);
    this.closeWatch.watch(socket, attempt.client);
  }

  /** Attributes of a connection opened before the instrumentation was enabled, first seen at a use. */
  private adopted(client: RedisClient, socket: RedisSocket): Attributes {
    this.closeWatch.watch(socket, client);
    return this.host.attributesOf(client, socket);
  }

  /**
   * A ready connection closed. Uses still in flight when the server or an
   * error ended it broke before their reply: each that was not the
   * connection's first use is a reuse failure.
   */
  private closed(socket: RedisSocket, cause: CloseCause): void {
    const state = this.tracker.get(socket);
    if (!state) return;
    if (cause.reason !== CLOSE_REASON_CLIENT_CLOSED && state.inFlight > 0) {
      const failed = state.observedFromStart ? Math.min(state.inFlight, state.uses - 1) : state.inFlight;
      const type = cause.errorType ?? ERROR_TYPE_CONNECTION_CLOSED;
      for (let use = 0; use < failed; use += 1) this.tracker.reuseFailed(socket, type);
    }
    this.tracker.closed(socket, cause);
  }
}

/**
 * Why an attempt failed: the socket's error (ECONNREFUSED, ENOTFOUND, a TLS
 * verification code), else the fatal handshake reply (WRONGPASS, NOAUTH),
 * else ETIMEDOUT when the attempt outlasted `connectTimeout` (ioredis then
 * destroys the socket without an error), else the connection closed.
 */
function failureType(attempt: ConnectAttempt, socket: RedisSocket | undefined): string {
  if (socket?.errored) return errorType(socket.errored);
  if (attempt.handshakeError !== undefined) return redisErrorType(attempt.handshakeError);
  const timeout = attempt.client.options?.connectTimeout;
  if (typeof timeout === 'number' && timeout > 0 && performance.now() - attempt.startedAt >= timeout) return 'ETIMEDOUT';
  return ERROR_TYPE_CONNECTION_CLOSED;
}
