/*
 * The module patch. mysql2's tracing channels carry no connection object, so
 * which connection a handshake or a query belongs to is read from the one
 * method every command passes through, `BaseConnection#addCommand`
 * (lib/base/connection.js): the handshake, added in the constructor just
 * before mysql2 publishes `mysql2:connect`, names the connection being set
 * up, and a query or execute of a connection no pool owns is a use.
 * `BaseConnection#startTLS` is wrapped to time TLS from its start (MySQL
 * upgrades the connected socket in the protocol). Each wrapper calls the
 * original with the same arguments and returns its result.
 */
import {
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
  type InstrumentationModuleDefinition,
} from '@opentelemetry/instrumentation';
import { FIRST_VERSION_WITH_CHANNELS } from './channels';
import type { MySQL2Connection, MySQL2ConnectionPrototype } from './mysql2-shapes';

export const SUPPORTED_MYSQL2_VERSIONS = [`>=${FIRST_VERSION_WITH_CHANNELS} <4`];
const ANY_MYSQL2_3 = ['>=3.0.0 <4'];

/** What the wrappers report; every hook is guarded by the instrumentation and never throws. */
export interface MySQL2Hooks {
  /** A command added to a connection's queue (`command` is mysql2's Command object). */
  command(connection: MySQL2Connection, command: unknown): void;
  /** startTLS() returned: `connection.stream` is the new TLSSocket. */
  tlsStarted(connection: MySQL2Connection): void;
  /** A mysql2 3.x older than the channels was loaded. */
  withoutChannels(version: string | undefined): void;
}

type AnyFunction = (this: any, ...args: any[]) => any;
export type Wrap = (target: object, name: string, wrapper: (original: AnyFunction) => AnyFunction) => void;
export type Unwrap = (target: object, name: string) => void;

function prototypeOf(exports: unknown): MySQL2ConnectionPrototype | undefined {
  const prototype = (exports as { prototype?: unknown } | undefined)?.prototype;
  return prototype && typeof (prototype as MySQL2ConnectionPrototype).addCommand === 'function'
    ? (prototype as MySQL2ConnectionPrototype)
    : undefined;
}

function addCommand(hooks: MySQL2Hooks) {
  return (original: AnyFunction): AnyFunction =>
    function addCommand(this: MySQL2Connection, command: unknown, ...rest: unknown[]) {
      hooks.command(this, command);
      return original.call(this, command, ...rest);
    };
}

function startTLS(hooks: MySQL2Hooks) {
  return (original: AnyFunction): AnyFunction =>
    function startTLS(this: MySQL2Connection, ...args: unknown[]) {
      const result = original.apply(this, args);
      hooks.tlsStarted(this);
      return result;
    };
}

export function mysql2ModuleDefinitions(hooks: MySQL2Hooks, wrap: Wrap, unwrap: Unwrap): InstrumentationModuleDefinition[] {
  const baseConnection = new InstrumentationNodeModuleFile(
    'mysql2/lib/base/connection.js',
    SUPPORTED_MYSQL2_VERSIONS,
    (exports) => {
      const prototype = prototypeOf(exports);
      if (prototype) {
        wrap(prototype, 'addCommand', addCommand(hooks));
        if (typeof prototype.startTLS === 'function') wrap(prototype, 'startTLS', startTLS(hooks));
      }
      return exports;
    },
    (exports) => {
      const prototype = prototypeOf(exports);
      if (!prototype) return;
      unwrap(prototype, 'addCommand');
      unwrap(prototype, 'startTLS');
    },
  );
  return [
    new InstrumentationNodeModuleDefinition(
      'mysql2',
      ANY_MYSQL2_3,
      (exports, version) => {
        hooks.withoutChannels(version);
        return exports;
      },
      undefined,
      [baseConnection],
    ),
  ];
}
