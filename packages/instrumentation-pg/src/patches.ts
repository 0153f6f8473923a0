/*
 * The module patches. node-postgres publishes no diagnostics channel, and
 * pg-pool's events do not say when a checkout starts, when it times out, or
 * which pool a new client belongs to; so, and only for that, four methods
 * are wrapped (each calls the original with the same arguments and returns
 * its result):
 *
 * - `Client#connect` (pg/lib/client.js): the start of a connection attempt;
 * - `Client#query`: a use of a Client that no pool owns;
 * - `Pool#connect` (pg-pool): a checkout, its wait and its outcome;
 * - `Pool#newClient` (pg-pool): which pool the client being created belongs to.
 *
 * Everything else is read from pg's and pg-pool's own events.
 */
import {
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  type InstrumentationModuleDefinition,
} from '@opentelemetry/instrumentation';
import { isPromiseLike, loadedModuleFiles, moduleExports, versionInRange } from '@connmetrics/core';
import type { PgClient, PgPool } from './internal-types';

export const SUPPORTED_PG_VERSIONS = ['>=8.0.3 <9'];
export const SUPPORTED_PG_POOL_VERSIONS = ['>=3.0.0 <4'];

/** A checkout in progress is its start (`performance.now()`), carried by the wrapper: no object per checkout. */
export type CheckoutStart = number;

/** What the wrappers report; every hook is guarded by the instrumentation and never throws. */
export interface PgHooks {
  clientConnecting(client: PgClient): void;
  /** Client#connect returned (its socket is now connecting). */
  clientConnectCalled(client: PgClient, threw: boolean): void;
  clientQuery(client: PgClient): void;
  /** undefined: do not follow this checkout. */
  checkoutStarted(pool: PgPool): CheckoutStart | undefined;
  checkoutEnded(pool: PgPool, startedAt: CheckoutStart, error: unknown, client: unknown): void;
  /** Runs pg-pool's newClient(), telling the Client#connect hook which pool owns the new client. */
  creatingClient<T>(pool: PgPool, create: () => T): T;
}

type AnyFunction = (this: any, ...args: any[]) => any;
export type Wrap = (target: object, name: string, wrapper: (original: AnyFunction) => AnyFunction) => void;
export type Unwrap = (target: object, name: string) => void;


function clientConnect(hooks: PgHooks) {
  return (original: AnyFunction): AnyFunction =>
    function connect(this: PgClient, ...args: unknown[]) {
      hooks.clientConnecting(this);
      let result: unknown;
      try {
        result = original.apply(this, args);
      } catch (error) {
        hooks.clientConnectCalled(this, true);
        throw error;
      }
      hooks.clientConnectCalled(this, false);
      return result;
    };
}

function clientQuery(hooks: PgHooks) {
  return (original: AnyFunction): AnyFunction =>
    function query(this: PgClient) {
      hooks.clientQuery(this);
      return original.apply(this, arguments as unknown as unknown[]);
    };
}

function poolConnect(hooks: PgHooks) {
  return (original: AnyFunction): AnyFunction =>
    function connect(this: PgPool, callback?: unknown) {
      const startedAt = hooks.checkoutStarted(this);
      if (startedAt === undefined) return original.apply(this, arguments as unknown as unknown[]);
      const pool = this;
      if (typeof callback === 'function') {
        // pg-pool's connect() takes only the callback.
        return original.call(this, function (this: unknown, error: unknown, client: unknown) {
          hooks.checkoutEnded(pool, startedAt, error, client);
          return callback.apply(this, arguments);
        });
      }
      const result = original.apply(this, arguments as unknown as unknown[]);
      if (!isPromiseLike(result)) return result;
      // The application gets a promise that settles exactly as pg-pool's does.
      return result.then(
        (client) => {
          hooks.checkoutEnded(pool, startedAt, undefined, client);
          return client;
        },
        (error: unknown) => {
          hooks.checkoutEnded(pool, startedAt, error, undefined);
          throw error;
        },
      );
    };
}

function poolNewClient(hooks: PgHooks) {
  return (original: AnyFunction): AnyFunction =>
    function newClient(this: PgPool, ...args: unknown[]) {
      return hooks.creatingClient(this, () => original.apply(this, args));
    };
}

function patchClientClass(Client: any, hooks: PgHooks, wrap: Wrap): void {
  const prototype = Client?.prototype;
  if (!prototype || typeof prototype.connect !== 'function' || typeof prototype.query !== 'function') return;
  wrap(prototype, 'connect', clientConnect(hooks));
  wrap(prototype, 'query', clientQuery(hooks));
}

function unpatchClientClass(Client: any, unwrap: Unwrap): void {
  const prototype = Client?.prototype;
  if (!prototype) return;
  unwrap(prototype, 'connect');
  unwrap(prototype, 'query');
}

function patchPoolClass(Pool: any, hooks: PgHooks, wrap: Wrap): void {
  const prototype = Pool?.prototype;
  if (prototype && typeof prototype.connect === 'function' && typeof prototype.newClient === 'function') {
    wrap(prototype, 'connect', poolConnect(hooks));
    wrap(prototype, 'newClient', poolNewClient(hooks));
  }
}

/**
 * Patches the copies of pg and pg-pool loaded before the instrumentation (found
 * in the module cache): prototypes are shared, so clients and pools created
 * before are counted from their next use (adopted).
 */
export function patchLoadedCopies(hooks: PgHooks, wrap: Wrap): void {
  for (const copy of loadedModuleFiles('pg/lib/client.js')) {
    if (versionInRange(copy.version, '8.0.3', '9.0.0')) patchClientClass(moduleExports(copy.exports), hooks, wrap);
  }
  for (const copy of loadedModuleFiles('pg-pool/index.js')) {
    if (versionInRange(copy.version, '3.0.0', '4.0.0')) patchPoolClass(moduleExports(copy.exports), hooks, wrap);
  }
}

export function pgModuleDefinitions(hooks: PgHooks, wrap: Wrap, unwrap: Unwrap): InstrumentationModuleDefinition[] {
  const clientFile = new InstrumentationNodeModuleFile(
    'pg/lib/client.js',
    SUPPORTED_PG_VERSIONS,
    (exports) => {
      patchClientClass(moduleExports(exports), hooks, wrap);
      return exports;
    },
    (exports) => unpatchClientClass(moduleExports(exports), unwrap),
  );
  // pg's main module too: under import-in-the-middle, lib/client.js may not pass the require hook.
  const pg = new InstrumentationNodeModuleDefinition(
    'pg',
    SUPPORTED_PG_VERSIONS,
    (exports) => {
      patchClientClass(moduleExports(exports)?.Client, hooks, wrap);
      return exports;
    },
    (exports) => unpatchClientClass(moduleExports(exports)?.Client, unwrap),
    [clientFile],
  );
  const pgPool = new InstrumentationNodeModuleDefinition(
    'pg-pool',
    SUPPORTED_PG_POOL_VERSIONS,
    (exports) => {
      patchPoolClass(moduleExports(exports), hooks, wrap);
      return exports;
    },
    (exports) => {
      const prototype = moduleExports(exports)?.prototype;
      if (!prototype) return;
      unwrap(prototype, 'connect');
      unwrap(prototype, 'newClient');
    },
  );
  return [pg, pgPool];
}
