/*
 * Counting for `@redis/client` versions without diagnostics channels
 * (`redis` 4, which uses `@redis/client` 1, and 5.0 to 5.11). The patches
 * report to the same counter the channels report to, under an id of their
 * own per client:
 * - `RedisSocket` (one per client, across its reconnects): a subclass whose
 *   `connect()` starts an attempt (the net socket is created in that
 *   synchronous run) and whose own events say the rest: 'ready' (after the
 *   handshake), 'error' (a failed attempt, or the error that closed a ready
 *   connection), 'end' (closed by the application), 'reconnecting'. Its
 *   'error' listener changes nothing: the client always listens there too and
 *   re-emits, and the application's handling is the client's.
 * - `RedisCommandsQueue`: a subclass whose `addCommand()` reports each command
 *   with its reply; the handshake is what is added with `asap` before the
 *   socket is ready. The client creates its queue and then its socket in one
 *   synchronous run of its constructor, which pairs the two.
 * Subclasses rather than wrappers because the client constructs them from the
 * module's `default` export; removal restores the export, and objects already
 * built stop reporting while the instrumentation is disabled.
 */
import { performance } from 'node:perf_hooks';
import type { Attributes, DiagLogger } from '@opentelemetry/api';
import { reportFailure } from '@connmetrics/core';
import { isHousekeeping } from './command-kind';
import type { RedisConnectionCounter } from './connection-counter';
import { currentClient } from './current-client';
import type { RedisSocketOptions } from './redis-shapes';

type Constructor = new (...args: any[]) => any;
type Listener = (...args: unknown[]) => void;

/** What the legacy hooks need from the instrumentation. */
export interface LegacyHost {
  readonly counter: () => RedisConnectionCounter;
  readonly diag: DiagLogger;
  active(): boolean;
  claimNextSocket(attributes: Attributes): void;
}

/** One client's socket wrapper, as the legacy hooks know it. */
interface LegacySocket {
  readonly id: string;
  readonly address: string;
  readonly port: number | undefined;
  readonly emitter: { isReady?: boolean; isOpen?: boolean; on(event: string, listener: Listener): unknown; removeListener(event: string, listener: Listener): unknown };
  listeners?: ReadonlyArray<readonly [string, Listener]>;
  attemptStartedAt: number;
  /** The error that closed the last ready connection (node-redis emits it twice when it gives up). */
  lastError?: unknown;
}

export class LegacyHooks {
  private nextId = 0;
  /** The queue constructed last, waiting for the socket the same client constructor creates next. */
  private pendingQueue: object | undefined;
  private readonly socketsByQueue = new WeakMap<object, LegacySocket>();
  private readonly sockets = new WeakMap<object, LegacySocket>();
  private readonly listening = new Set<LegacySocket>();

  constructor(private readonly host: LegacyHost) {}

  /** Runs a hook guarded; counting hooks (not `always`) only while the instrumentation is enabled. */
  private guarded(name: string, hook: () => void, always = false): void {
    if (!always && !this.host.active()) return;
    try {
      hook();
    } catch (error) {
      reportFailure(this.host.diag, name, error);
    }
  }

  /** A subclass of `RedisCommandsQueue` that reports its commands. */
  queueClass(Original: Constructor): Constructor {
    const hooks = this;
    return class CountingRedisCommandsQueue extends Original {
      constructor(...args: any[]) {
        super(...args);
        // Paired even while disabled, so that enable() can adopt the connection later.
        hooks.guarded('node-redis queue', () => (hooks.pendingQueue = this), true);
      }

      addCommand(args: unknown[], options?: { asap?: boolean }) {
        const promise = super.addCommand(args, options);
        hooks.guarded('node-redis command', () => hooks.commandAdded(this, args, options, promise));
        return promise;
      }
    };
  }

  /** A subclass of `RedisSocket` that reports its connection attempts and events. */
  socketClass(Original: Constructor): Constructor {
    const hooks = this;
    return class CountingRedisSocket extends Original {
      constructor(initiator: unknown, options?: RedisSocketOptions, ...rest: any[]) {
        super(initiator, options, ...rest);
        hooks.guarded('node-redis socket', () => hooks.socketCreated(this as unknown as LegacySocket['emitter'], options), true);
      }

      connect(...args: unknown[]) {
        hooks.guarded('node-redis connect', () => hooks.connectStarted(this));
        return super.connect(...args);
      }
    };
  }

  /** Removes every listener (on disable); sockets listen again at their next connect(). */
  stopAll(): void {
    for (const socket of [...this.listening]) this.stop(socket);
  }

  private socketCreated(emitter: LegacySocket['emitter'], options: RedisSocketOptions | undefined): void {
    const path = typeof options?.path === 'string' && options.path !== '' ? options.path : undefined;
    const socket: LegacySocket = {
      id: `legacy:${(this.nextId += 1)}`,
      address: path ?? (typeof options?.host === 'string' && options.host !== '' ? options.host : 'localhost'),
      port: path ? undefined : Number(options?.port ?? 6379) || 6379,
      emitter,
      attemptStartedAt: performance.now(),
    };
    this.sockets.set(emitter, socket);
    const queue = this.pendingQueue;
    this.pendingQueue = undefined;
    if (queue) this.socketsByQueue.set(queue, socket);
  }

  private connectStarted(emitter: object): void {
    const socket = this.sockets.get(emitter);
    if (!socket) return;
    const attributes = this.host.counter().connectStarted(socket.id, socket.address, socket.port, currentClient());
    if (!attributes) return;
    socket.attemptStartedAt = performance.now();
    socket.lastError = undefined;
    this.listen(socket);
    this.host.claimNextSocket(attributes);
  }

  private listen(socket: LegacySocket): void {
    if (socket.listeners) return;
    const on = (name: string, hook: (...args: unknown[]) => void): readonly [string, Listener] => [
      name,
      (...args: unknown[]) => this.guarded(`node-redis ${name}`, () => hook(...args)),
    ];
    socket.listeners = [
      // The client's RedisSocket is what every instance sees of its connections and failures.
      on('ready', () => this.host.counter().ready(socket.id, socket.address, socket.port, performance.now() - socket.attemptStartedAt, socket.emitter)),
      on('error', (error) => this.errored(socket, error)),
      on('end', () => {
        this.host.counter().closed(socket.id, true);
        this.stop(socket);
      }),
      on('reconnecting', () => {
        socket.attemptStartedAt = performance.now();
        const attributes = this.host.counter().attributesOfClient(socket.id);
        if (attributes) this.host.claimNextSocket(attributes);
      }),
    ];
    for (const [event, listener] of socket.listeners) socket.emitter.on(event, listener);
    this.listening.add(socket);
  }

  private stop(socket: LegacySocket): void {
    const listeners = socket.listeners;
    if (!listeners) return;
    socket.listeners = undefined;
    this.listening.delete(socket);
    for (const [event, listener] of listeners) socket.emitter.removeListener(event, listener);
  }

  private errored(socket: LegacySocket, error: unknown): void {
    const counter = this.host.counter();
    const repeated = error !== undefined && error === socket.lastError; // node-redis emits it again as it gives up
    if (!repeated) {
      if (counter.hasConnection(socket.id)) {
        socket.lastError = error;
        counter.closed(socket.id, false);
        counter.error(socket.id, error, socket.emitter); // the cause of that close
      } else {
        counter.error(socket.id, error, socket.emitter); // a failed attempt
      }
    }
    if (socket.emitter.isOpen === false) {
      // No reconnect follows: the client is done until connect() is called again.
      counter.forget(socket.id);
      this.stop(socket);
    }
  }

  private commandAdded(queue: object, args: unknown[], options: { asap?: boolean } | undefined, promise: unknown): void {
    const socket = this.socketsByQueue.get(queue);
    if (!socket || !Array.isArray(args) || !(promise instanceof Promise)) return;
    // Connected while disabled: its connection is adopted at this command, and its close must be seen.
    if (!socket.listeners && socket.emitter.isOpen === true) this.listen(socket);
    const name = typeof args[0] === 'string' ? args[0].toUpperCase() : args[0];
    if (name === 'QUIT' || isHousekeeping(name, args.map((arg) => (typeof arg === 'string' ? arg : undefined)))) return;
    // Added with asap before the connection is ready: the handshake (AUTH, SELECT, SETNAME, SETINFO).
    if (socket.emitter.isReady !== true && options?.asap === true) return;
    // The promise is the same object for every instance's subclass: a connection adopted at it is one.
    const token = promise;
    const counter = this.host.counter();
    counter.commandStarted(socket.id, token, 1);
    const ended = (failed: boolean, error: unknown) =>
      this.guarded('node-redis reply', () => counter.commandEnded(socket.id, token, failed, error, socket.address, socket.port));
    promise.then(
      () => ended(false, undefined),
      (error: unknown) => ended(true, error),
    );
  }
}
