/*
 * connmetrics' own diagnostics under zero-code when OTEL_LOG_LEVEL is unset.
 *
 * The instrumentations report a setup they cannot count (a library loaded
 * before its patch, postgres.js imported as ESM under --require, an API too
 * old) once through diag.warn. OpenTelemetry installs no diag logger unless
 * OTEL_LOG_LEVEL is set, so under zero-code those warnings would go nowhere.
 * This logger passes connmetrics' own warnings and errors to
 * process.emitWarning (once per message; --no-warnings silences them) and
 * drops everything else, so other components stay as quiet as OpenTelemetry
 * leaves them by default.
 */
import { diag, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import { warnOnce } from './warnings';

export const SETUP_WARNING_CODE = 'CONNMETRICS_SETUP';

/** The API's global registry (`@opentelemetry/api` src/internal/global-utils.ts), keyed by its major version. */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');
const OWN_PREFIXES = ['@connmetrics/', 'connmetrics:'];

/** Whether a diag logger is registered already: an application's or an SDK's, which is left alone. */
function diagLoggerRegistered(): boolean {
  try {
    return (globalThis as { [API_GLOBAL]?: { diag?: unknown } })[API_GLOBAL]?.diag !== undefined;
  } catch {
    return true;
  }
}

function isOwn(first: unknown): first is string {
  return typeof first === 'string' && OWN_PREFIXES.some((prefix) => first.startsWith(prefix));
}

/**
 * One line from a component logger's (namespace, message, ...args) or diag's
 * (message, ...args): `namespace: message (Error: ...)`, without the namespace
 * when the message names connmetrics itself.
 */
function messageOf(args: unknown[]): string {
  const parts = args.map((arg) => (arg instanceof Error ? `(${arg.name}: ${arg.message})` : typeof arg === 'string' ? arg : undefined));
  const [first = '', ...rest] = parts.filter((part): part is string => part !== undefined);
  if (first.startsWith('@connmetrics/') && rest.length > 0) {
    const message = rest.shift()!;
    rest.unshift(message.startsWith('connmetrics:') ? message : `${first}: ${message}`);
  } else {
    rest.unshift(first);
  }
  return rest.join(' ');
}

/** Once per message (warnOnce never throws; neither may building the message). */
function emit(args: unknown[]): void {
  if (!isOwn(args[0])) return;
  try {
    const message = messageOf(args);
    warnOnce(`${SETUP_WARNING_CODE} ${message}`, message, SETUP_WARNING_CODE);
  } catch {
    // A warning must never become the application's problem.
  }
}

const ignore = (): void => {};

const setupWarnings: DiagLogger = {
  error: (...args: unknown[]) => emit(args),
  warn: (...args: unknown[]) => emit(args),
  info: ignore,
  debug: ignore,
  verbose: ignore,
};

/** Installs the logger above unless a diag logger is registered already; returns whether it did. */
export function reportSetupWarnings(): boolean {
  if (diagLoggerRegistered()) return false;
  return diag.setLogger(setupWarnings, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
