import type { DiagLogger } from '@opentelemetry/api';

/**
 * Failures per logger and hook name, shared by every guard of that name, so
 * that a hook guarded once per connection still logs its first failure once.
 */
const failureCounts = new WeakMap<DiagLogger, Map<string, number>>();

export function reportFailure(diag: DiagLogger, name: string, error: unknown): void {
  let counts = failureCounts.get(diag);
  if (!counts) failureCounts.set(diag, (counts = new Map()));
  const failures = (counts.get(name) ?? 0) + 1;
  counts.set(name, failures);
  if (failures === 1) diag.error(`connmetrics: hook ${name} failed; the application is unaffected`, error);
  else diag.debug(`connmetrics: hook ${name} failed again (${failures} times)`, error);
}

/**
 * Wraps a hook so that nothing it throws reaches the application. The first
 * failure of each named hook is logged as an error through the given diag
 * logger, later ones at debug level, so a broken hook cannot flood logs.
 */
export function guard<A extends unknown[]>(
  diag: DiagLogger,
  name: string,
  hook: (...args: A) => void,
): (...args: A) => void {
  return function guarded(this: unknown): void {
    try {
      // apply(this, arguments) passes the exact arguments without building an array (a rest parameter would, per call).
      hook.apply(this, arguments as unknown as A);
    } catch (error) {
      reportFailure(diag, name, error);
    }
  } as unknown as (...args: A) => void;
}

/**
 * Runs hooks that are not channel handlers (socket event listeners, timers)
 * guarded, with the same once-per-hook logging as `guard`.
 */
export class HookRunner {
  constructor(private readonly diag: () => DiagLogger) {}

  run(name: string, hook: () => void): void {
    try {
      hook();
    } catch (error) {
      reportFailure(this.diag(), name, error);
    }
  }
}
