/*
 * The module patch. postgres.js publishes no diagnostics channel and keeps
 * its state in closures; the one seam between its modules is the factory that
 * `connection.js` exports and `index.js` calls once per pool slot (`max`
 * times per `postgres()`), with the pool's options, its queues and three
 * callbacks. That factory is replaced, in the CommonJS build
 * (`cjs/src/connection.js`) and in the ES module (`src/connection.js`), by one
 * that calls the original with the same arguments and returns its connection
 * object, after it:
 *
 * - wraps the three callbacks (`onopen`: nothing in flight; `onend`: the
 *   connection is ending; `onclose`: its socket closed);
 * - wraps the connection's methods index.js calls (`connect`, `execute`,
 *   `end`, `terminate`, `idleTimer.start`/`cancel`) and makes `reserved`
 *   (set by `sql.reserve()` and `sql.begin()`) an accessor;
 * - gives the connection the pool's options through an object that inherits
 *   every value from them and only notices two reads: `socket` (read just
 *   before postgres.js creates a socket) and `debug` (read when a query is
 *   built, i.e. once the connection is ready for it).
 *
 * And `Query#handle` (query.js), which postgres.js calls when a query is
 * started: when it started is what its wait for a connection is measured from.
 *
 * Each wrapper calls the original with the same arguments and returns its
 * result; the hooks run guarded and never throw into postgres.js.
 */
import {
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  type InstrumentationModuleDefinition,
} from '@opentelemetry/instrumentation';
import type { ConnectionFactory, PostgresCallbacks, PostgresConnection, PostgresOptions, PostgresQueues } from './postgres-shapes';

export const SUPPORTED_POSTGRES_VERSIONS = ['>=3.0.0 <4'];
export const CONNECTION_FILES = ['postgres/cjs/src/connection.js', 'postgres/src/connection.js'] as const;
export const QUERY_FILES = ['postgres/cjs/src/query.js', 'postgres/src/query.js'] as const;

/** What one pool slot reports; each call is guarded by the caller. */
export interface SlotEvents {
  /** The slot's connection object, once connection.js made it. */
  attached(connection: PostgresConnection): void;
  /** postgres.js is about to create a socket for this slot (or for a cancel request it sends). */
  socketCreating(): void;
  /** A query is being built on this slot. */
  queryBuilding(): void;
  /** index.js starts a connection for a request (`connect(query)`). */
  connecting(request: unknown): void;
  /** index.js hands a query to the ready connection. */
  executing(query: unknown): void;
  /** `sql.reserve()`/`sql.begin()` took (true) or gave back (false) the connection. */
  reservedChanged(reserved: boolean): void;
  /** connection.js: nothing is in flight on the connection any more. */
  opened(): void;
  /** connection.js: the connection is ending (its idle or lifetime timer, or `end()`). */
  ending(): void;
  /** index.js: the application ends the pool (`sql.end()`, `sql.close()`, a destroy after `end({ timeout })`). */
  endRequested(): void;
  /** connection.js: the connection's socket closed. */
  closed(): void;
  idleTimerStarted(): void;
  idleTimerCancelled(): void;
}

/** How the patched factory reaches the instrumentation. */
export interface FactoryHooks {
  /** Whether to follow the connections made now. */
  active(): boolean;
  /** A pool slot is being made: the events of its connection, or undefined to leave it alone. */
  slot(options: PostgresOptions, queues: PostgresQueues): SlotEvents | undefined;
  /** A connection no pool owns (a cancel request) is about to create its socket. */
  uncountedSocket(): void;
  /** Runs a hook; nothing it throws escapes. */
  run(name: string, hook: () => void): void;
  /** A query starts (its first `handle()`: postgres.js hands it to the pool a microtask later). Never throws: called unguarded, per query. */
  queryStarted(query: object): void;
}

/** Wraps and unwraps a method (core's MethodWraps, which other instrumentations can live with). */
export type Wrap = (target: object, name: string, wrapper: (original: AnyFunction) => AnyFunction) => void;
export type Unwrap = (target: object, name: string) => void;

type AnyFunction = (this: unknown, ...args: any[]) => any;

/** The module's exports: module.exports under require, a namespace under import-in-the-middle. */
function isNamespace(exports: any): boolean {
  return exports !== null && typeof exports === 'object' && exports[Symbol.toStringTag] === 'Module';
}

/** Inherits every option, noticing the reads of `socket` and `debug`. */
function observedOptions(options: PostgresOptions, onSocket: () => void, onDebug: (() => void) | undefined): PostgresOptions {
  const properties: PropertyDescriptorMap = {
    socket: {
      get() {
        onSocket();
        return options.socket;
      },
      configurable: true,
    },
  };
  if (onDebug) {
    properties.debug = {
      get() {
        onDebug();
        return options.debug;
      },
      configurable: true,
    };
  }
  return Object.create(options, properties) as PostgresOptions;
}

/** Wraps `target[name]`: `before` runs (guarded by the caller) with the first argument, then the original. */
function wrapMethod(target: any, name: string, before: (first: unknown) => void): void {
  const original = target?.[name];
  if (typeof original !== 'function') return;
  target[name] = function (this: unknown, first: unknown) {
    before(first);
    return original.apply(this, arguments);
  };
}

function wrapCallbacks(callbacks: PostgresCallbacks, events: SlotEvents, hooks: FactoryHooks): PostgresCallbacks {
  const wrap = (name: keyof PostgresCallbacks, event: () => void): AnyFunction | undefined => {
    const original = callbacks[name] as AnyFunction | undefined;
    if (typeof original !== 'function') return original;
    const hookName = `postgres ${name}`;
    return function (this: unknown) {
      hooks.run(hookName, event);
      return original.apply(this, arguments as unknown as unknown[]);
    };
  };
  return {
    ...callbacks,
    onopen: wrap('onopen', () => events.opened()),
    onend: wrap('onend', () => events.ending()),
    onclose: wrap('onclose', () => events.closed()),
  };
}

/** Follows the methods and the `reserved` field of a slot's connection object. */
function followConnection(connection: PostgresConnection, events: SlotEvents, hooks: FactoryHooks): void {
  // Each hook is made once per slot: nothing is allocated per query.
  const on = (name: string, hook: () => void) => {
    const hookName = `postgres ${name}`;
    return () => hooks.run(hookName, hook);
  };
  let request: unknown;
  const connecting = on('connect', () => events.connecting(request));
  wrapMethod(connection, 'connect', (first) => {
    request = first;
    connecting();
    request = undefined;
  });
  let query: unknown;
  const executing = on('execute', () => events.executing(query));
  wrapMethod(connection, 'execute', (first) => {
    query = first;
    executing();
    query = undefined;
  });
  const endRequested = on('end', () => events.endRequested());
  wrapMethod(connection, 'end', endRequested);
  wrapMethod(connection, 'terminate', endRequested);
  wrapMethod(connection.idleTimer, 'start', on('idleTimer.start', () => events.idleTimerStarted()));
  wrapMethod(connection.idleTimer, 'cancel', on('idleTimer.cancel', () => events.idleTimerCancelled()));
  const reservedHooks = [on('reserved', () => events.reservedChanged(false)), on('reserved', () => events.reservedChanged(true))] as const;
  // Another instance's accessor (its factory wrapper runs inside this one) keeps the value and sees every change too.
  const previous = Object.getOwnPropertyDescriptor(connection, 'reserved');
  const inner = previous?.get && previous.set ? { get: previous.get, set: previous.set } : undefined;
  let reserved: unknown = connection.reserved;
  Object.defineProperty(connection, 'reserved', {
    get: inner ? () => inner.get.call(connection) : () => reserved,
    set: (value: unknown) => {
      const was = Boolean(inner ? inner.get.call(connection) : reserved);
      if (inner) inner.set.call(connection, value);
      else reserved = value;
      if (was !== Boolean(value)) reservedHooks[value ? 1 : 0]();
    },
    enumerable: true,
    configurable: true,
  });
}

/** Wrappers already made, per original factory: enabling again reuses the one index.js holds. */
const wrappers = new WeakMap<ConnectionFactory, WeakMap<FactoryHooks, ConnectionFactory>>();
/** Every wrapper made, with the hooks it reports to: a wrapper is never wrapped again for the same hooks. */
const wrapperHooks = new WeakMap<ConnectionFactory, FactoryHooks>();

export function wrapFactory(original: ConnectionFactory, hooks: FactoryHooks): ConnectionFactory {
  if (wrapperHooks.get(original) === hooks) return original;
  let byHooks = wrappers.get(original);
  if (!byHooks) wrappers.set(original, (byHooks = new WeakMap()));
  const known = byHooks.get(hooks);
  if (known) return known;
  const wrapper = function Connection(this: unknown, options: PostgresOptions, queues?: PostgresQueues, callbacks?: PostgresCallbacks) {
    let events: SlotEvents | undefined;
    let observed: PostgresOptions | undefined;
    if (options !== null && typeof options === 'object' && typeof options.socket !== 'function' && hooks.active()) {
      hooks.run('postgres Connection', () => {
        if (queues && callbacks && typeof callbacks === 'object') {
          const slot = hooks.slot(options, queues);
          if (!slot) return;
          events = slot;
          const socketCreating = () => slot.socketCreating();
          const queryBuilding = () => slot.queryBuilding();
          observed = observedOptions(
            options,
            () => hooks.run('postgres socket', socketCreating),
            () => hooks.run('postgres debug', queryBuilding),
          );
        } else {
          // A cancel request: its socket is postgres.js's but no use of the pool.
          observed = observedOptions(options, () => hooks.run('postgres socket', hooks.uncountedSocket), undefined);
        }
      });
    }
    if (!observed) return original.apply(this, arguments as unknown as Parameters<ConnectionFactory>);
    const slotEvents = events;
    const connection = original.call(
      this,
      observed,
      queues,
      slotEvents && callbacks ? wrapCallbacks(callbacks, slotEvents, hooks) : callbacks,
    );
    if (slotEvents) {
      hooks.run('postgres Connection', () => {
        slotEvents.attached(connection);
        followConnection(connection, slotEvents, hooks);
      });
    }
    return connection;
  } as ConnectionFactory;
  byHooks.set(hooks, wrapper);
  wrapperHooks.set(wrapper, hooks);
  return wrapper;
}

/** `Query#handle`: the moment a query is started, for the time it then waits for a connection. */
function queryHandle(hooks: FactoryHooks) {
  return (original: AnyFunction): AnyFunction =>
    function handle(this: any) {
      if (this && !this.executed) hooks.queryStarted(this);
      return original.apply(this, arguments as unknown as unknown[]);
    };
}

function queryPrototype(exports: any): { handle?: unknown } | undefined {
  const prototype = exports?.Query?.prototype;
  return prototype && typeof prototype.handle === 'function' ? prototype : undefined;
}

export function postgresModuleDefinitions(hooks: FactoryHooks, wrap: Wrap, unwrap: Unwrap): InstrumentationModuleDefinition[] {
  const patch = (exports: any) => {
    if (isNamespace(exports)) {
      // import-in-the-middle: setting the export updates the binding index.js imports.
      if (typeof exports.default === 'function') exports.default = wrapFactory(exports.default, hooks);
      return exports;
    }
    return typeof exports === 'function' ? wrapFactory(exports, hooks) : exports;
  };
  // index.js keeps the factory it was given; the wrapper stays and only follows while enabled.
  const unpatch = () => undefined;
  const files = CONNECTION_FILES.map((name) => new InstrumentationNodeModuleFile(name, SUPPORTED_POSTGRES_VERSIONS, patch, unpatch));
  // The Query class is shared by every module of postgres.js: its prototype is patched in place.
  for (const name of QUERY_FILES) {
    files.push(
      new InstrumentationNodeModuleFile(
        name,
        SUPPORTED_POSTGRES_VERSIONS,
        (exports: any) => {
          const prototype = queryPrototype(exports);
          if (prototype) wrap(prototype, 'handle', queryHandle(hooks));
          return exports;
        },
        (exports: any) => {
          const prototype = queryPrototype(exports);
          if (prototype) unwrap(prototype, 'handle');
        },
      ),
    );
  }
  return [new InstrumentationNodeModuleDefinition('postgres', SUPPORTED_POSTGRES_VERSIONS, undefined, undefined, files)];
}
