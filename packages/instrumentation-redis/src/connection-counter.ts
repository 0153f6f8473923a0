/*
 * Counts node-redis connections and uses from its channel messages. Every
 * message names a client by `clientId`; a client holds one connection at a
 * time, created at `connection:ready` and gone at `connection:closed`, and
 * each ready connection is its own object here. A command is a use of the
 * client's ready connection; a command queued before the connection is ready
 * (offline queue) becomes a use of the connection that becomes ready next,
 * which is the one that writes it.
 */
import { performance } from 'node:perf_hooks';
import type { Attributes, DiagLogger } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  CLOSE_REASON_CLIENT_CLOSED,
  CLOSE_REASON_ERROR,
  CLOSE_REASON_IDLE_TIMEOUT,
  CLOSE_REASON_SERVER_CLOSED,
  ConnectionTracker,
  type CloseCause,
  type ConnectionInstruments,
  type ConnectionState,
  type DbConnectionInstruments,
  withAttribute,
} from '@connmetrics/core';
import { isClientTimeout, isOrderlyServerClose, isReplyError, redisErrorType } from './error-type';
import type { RedisClient } from './redis-shapes';

/** What the counter needs from its instrumentation. */
export interface CounterHost {
  readonly connectionInstruments: ConnectionInstruments;
  readonly dbInstruments: DbConnectionInstruments;
  readonly diag: DiagLogger;
  /** Whether create_time and wait_time are recorded (off beside node-redis's own metrics). */
  recordConnectionTimes(): boolean;
  /** The attributes of a client's connections. */
  attributesOf(clientId: string, address: unknown, port: unknown, client: RedisClient | undefined): Attributes;
}

/** One ready connection of a client. */
class Connection {
  /** A one-command use of it, first or reuse: made once per connection, not per command. */
  readonly single: Use = { connection: this, count: 1, reuse: false };
  readonly singleReuse: Use = { connection: this, count: 1, reuse: true };
  /** Set when an error or the server closed it (not the application). */
  broken = false;
  /** Set when the application closed it: its reuses still in flight that fail then are no reuse failures. */
  closedByApplication = false;
  /**
   * `error.type`s of reuses that failed with a connection error before its close was seen
   * (node-redis may reject the command before the socket's close): reuse failures if it
   * then closes broken, nothing if the application closed it.
   */
  failedReuses: string[] | undefined = undefined;

  /**
   * @param key what every instance of the instrumentation sees of this
   *   connection (the message that announced it, or the legacy client's
   *   socket): the tracker's key, so that one instance per MeterProvider
   *   counts it (others get an inert state)
   */
  constructor(
    readonly clientId: string,
    readonly key: object,
    readonly attributes: Attributes,
  ) {}
}

/** What is known of one client, by its id. */
interface ClientRecord {
  readonly clientId: string;
  address?: unknown;
  port?: unknown;
  /** The client object, when the naming patch saw its connect(). */
  client?: RedisClient;
  attributes?: Attributes;
  connection?: Connection;
  /** Uses queued before the connection was ready, with how many uses each is. */
  readonly pending: Map<object, number>;
  /**
   * Uses queued before ready that were answered before ready: node-redis
   * writes the offline queue right behind the handshake, so their replies
   * can arrive before `connection:ready` is published.
   */
  answeredEarly: number;
  /** A connection closed by an error whose cause node-redis publishes next. */
  closing?: Connection;
  /** The last error counted as a failed attempt (connect() may reject with it again). */
  lastFailure?: unknown;
}

interface Use {
  readonly connection: Connection;
  /** How many uses it is (a MULTI transaction: its commands, MULTI and EXEC). */
  readonly count: number;
  /** Whether it reused the connection: one that fails once the connection broke is a reuse failure. */
  readonly reuse: boolean;
}

/** A command's use, on the command's own channel context (or promise): no map entry per command. */
type UseHolder = Record<symbol, Use | undefined>;

export class RedisConnectionCounter {
  private readonly tracker = new ConnectionTracker(() => this.host.connectionInstruments, () => this.host.diag);
  private records = new Map<string, ClientRecord>();
  /** Per enablement: a use set before a disable() is not this bookkeeping's. */
  private useKey = Symbol('connmetrics.redis.use');

  constructor(private readonly host: CounterHost) {}

  /** The connections open now, for the connection count. */
  open(): ReadonlySet<ConnectionState> {
    return this.tracker.open();
  }

  /** Forgets everything (on disable). */
  clear(): void {
    this.tracker.clear();
    this.records = new Map();
    this.useKey = Symbol('connmetrics.redis.use');
  }

  /** How many clients are known (for leak tests). */
  get size(): number {
    return this.records.size;
  }

  /** `client.connect()` began; returns the client's attributes, or undefined when it makes no attempt. */
  connectStarted(clientId: string, address: unknown, port: unknown, client: RedisClient | undefined): Attributes | undefined {
    const record = this.record(clientId);
    if (record.connection) return undefined; // already connected: connect() rejects at once
    record.address = address;
    record.port = port;
    if (client) record.client = client;
    record.attributes = undefined;
    return this.attributes(record);
  }

  /** Forgets a client that will not connect again by itself (its commands still in flight keep their state). */
  forget(clientId: string): void {
    const record = this.records.get(clientId);
    if (record && !record.connection && record.pending.size === 0) this.records.delete(clientId);
  }

  /** Whether a client has a ready connection now. */
  hasConnection(clientId: string): boolean {
    return this.records.get(clientId)?.connection !== undefined;
  }

  /** The attributes of a known client (for socket phases of its reconnects). */
  attributesOfClient(clientId: string): Attributes | undefined {
    const record = this.records.get(clientId);
    return record ? this.attributes(record) : undefined;
  }

  /** connect() rejected: the attempt failed for good (reconnects off, or the strategy gave up). `subject`: its message. */
  connectFailed(clientId: string, error: unknown, subject: object): void {
    const record = this.records.get(clientId);
    if (!record || record.connection) return;
    const socketError = (error as { socketError?: unknown } | undefined)?.socketError;
    if (error !== record.lastFailure && (socketError === undefined || socketError !== record.lastFailure)) this.failed(record, error, subject);
    if (record.pending.size === 0) this.records.delete(clientId);
  }

  /** A connection is ready; `key`: what every instance sees of it (see Connection). */
  ready(clientId: string, address: unknown, port: unknown, createTimeMs: unknown, key: object): void {
    const record = this.record(clientId);
    if (record.connection) return;
    if (record.address === undefined) {
      record.address = address;
      record.port = port;
    }
    record.lastFailure = undefined;
    const attributes = this.attributes(record);
    const connection = new Connection(clientId, key, attributes);
    record.connection = connection;
    const state = this.tracker.created(key, attributes);
    if (state.counted !== false && typeof createTimeMs === 'number' && this.host.recordConnectionTimes()) {
      this.host.dbInstruments.createTime.record(Math.max(0, createTimeMs) / 1000, attributes);
    }
    for (let i = 0; i < record.answeredEarly; i += 1) {
      this.tracker.used(key);
      this.tracker.released(key);
    }
    record.answeredEarly = 0;
    for (const [token, count] of record.pending) this.use(record, connection, token, count);
    record.pending.clear();
  }

  /** A command (count 1) or a MULTI transaction (its commands, MULTI and EXEC) was sent. */
  commandStarted(clientId: string, token: object, count: number): void {
    const record = this.records.get(clientId);
    if (!record) return; // a client connected before we were enabled: adopted when a command succeeds
    if (record.connection) this.use(record, record.connection, token, count);
    else record.pending.set(token, count);
  }

  /** Its reply (or failure) arrived. */
  commandEnded(clientId: string, token: object, failed: boolean, error: unknown, address: unknown, port: unknown): void {
    const use = (token as UseHolder)[this.useKey];
    if (use) {
      const { connection } = use;
      (token as UseHolder)[this.useKey] = undefined;
      for (let i = 0; i < use.count; i += 1) this.tracker.released(connection.key);
      // The keep-alive race: a reuse that failed because its connection broke under it (never one of
      // a connection another instance counts: its inert state has no reuse).
      if (failed && use.reuse && !connection.closedByApplication) {
        if (connection.broken) this.reuseFailed(connection, redisErrorType(error));
        else if (!isReplyError(error)) (connection.failedReuses ??= []).push(redisErrorType(error));
      }
      return;
    }
    const record = this.records.get(clientId);
    const pending = record?.pending.get(token);
    if (record && pending !== undefined) {
      record.pending.delete(token);
      if (!failed) record.answeredEarly += pending;
      return;
    }
    if (!record && !failed) this.adopt(clientId, token, address, port);
  }

  /** A pool handed a task a member client; `subject`: its message, claimed by one instance per MeterProvider. */
  poolWait(clientId: string, waitStart: unknown, subject: object): void {
    if (typeof waitStart !== 'number' || !this.host.recordConnectionTimes()) return;
    const record = this.records.get(clientId);
    if (!record || !this.tracker.claim(subject)) return;
    this.host.dbInstruments.waitTime.record(Math.max(0, performance.now() - waitStart) / 1000, this.attributes(record));
  }

  /** A client's connection went away. */
  closed(clientId: string, byApplication: boolean): void {
    const record = this.records.get(clientId);
    if (!record) return;
    const connection = record.connection;
    record.connection = undefined;
    if (byApplication) {
      if (connection) this.close(connection, { reason: CLOSE_REASON_CLIENT_CLOSED });
      this.records.delete(clientId);
      return;
    }
    if (!connection) return;
    // node-redis 6 publishes the error that closed it right after; 5.12 does not.
    record.closing = connection;
    queueMicrotask(() => {
      if (record.closing !== connection) return;
      record.closing = undefined;
      this.close(connection, { reason: CLOSE_REASON_ERROR });
    });
  }

  /** An error a client emitted: the cause of a close just published, or a failed attempt. `subject`: its message. */
  error(clientId: string, error: unknown, subject: object): void {
    const record = this.records.get(clientId);
    if (!record) return;
    const closing = record.closing;
    if (closing) {
      record.closing = undefined;
      this.close(closing, closeCause(error));
      return;
    }
    if (!record.connection) {
      this.failed(record, error, subject);
      record.lastFailure = error;
      record.answeredEarly = 0;
    }
  }

  private use(record: ClientRecord, connection: Connection, token: object, count: number): void {
    let reuse = false;
    for (let i = 0; i < count; i += 1) {
      const state = this.tracker.used(connection.key) ?? this.tracker.adopt(connection.key, this.attributes(record));
      if (state.uses > 1 || !state.observedFromStart) reuse = true;
    }
    const value = count === 1 ? (reuse ? connection.singleReuse : connection.single) : { connection, count, reuse };
    const holder = token as UseHolder;
    // Defined once, not enumerable: the context (or the application's promise) looks the same to everyone else.
    if (this.useKey in holder) holder[this.useKey] = value;
    else Object.defineProperty(holder, this.useKey, { value, writable: true, configurable: true, enumerable: false });
  }

  /** A successful command of a client first seen after it connected: its connection is adopted, keyed by that command. */
  private adopt(clientId: string, token: object, address: unknown, port: unknown): void {
    const record = this.record(clientId);
    record.address = address;
    record.port = port;
    const connection = new Connection(clientId, token, this.attributes(record));
    record.connection = connection;
    this.use(record, connection, token, 1);
    this.commandEnded(clientId, token, false, undefined, address, port);
  }

  private close(connection: Connection, cause: CloseCause): void {
    // Its commands in flight are rejected after this, with the error the application sees.
    if (cause.reason !== CLOSE_REASON_CLIENT_CLOSED) {
      connection.broken = true;
      for (const type of connection.failedReuses ?? []) this.reuseFailed(connection, type);
    } else connection.closedByApplication = true;
    connection.failedReuses = undefined;
    this.tracker.closed(connection.key, cause);
  }

  private reuseFailed(connection: Connection, type: string): void {
    this.host.connectionInstruments.reuseFailed.add(1, withAttribute(connection.attributes, ATTR_ERROR_TYPE, type));
  }

  /** A failed attempt, counted by the instance that claims `subject` (what every instance sees of it). */
  private failed(record: ClientRecord, error: unknown, subject: object): void {
    if (!this.tracker.claim(subject)) return;
    this.host.connectionInstruments.failed.add(1, withAttribute(this.attributes(record), ATTR_ERROR_TYPE, redisErrorType(error)));
  }

  private record(clientId: string): ClientRecord {
    let record = this.records.get(clientId);
    if (!record) this.records.set(clientId, (record = { clientId, pending: new Map(), answeredEarly: 0 }));
    return record;
  }

  private attributes(record: ClientRecord): Attributes {
    return (record.attributes ??= this.host.attributesOf(record.clientId, record.address, record.port, record.client));
  }
}

/**
 * Why an error closed a ready connection: the server's orderly close
 * (CLIENT KILL, a restart, its `timeout`) is `server_closed`; the client's
 * own `socketTimeout` is `idle_timeout`; anything else is `error` with its type.
 */
function closeCause(error: unknown): CloseCause {
  if (isOrderlyServerClose(error)) return { reason: CLOSE_REASON_SERVER_CLOSED };
  if (isClientTimeout(error)) return { reason: CLOSE_REASON_IDLE_TIMEOUT };
  return { reason: CLOSE_REASON_ERROR, errorType: redisErrorType(error) };
}
