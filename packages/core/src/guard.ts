import type { DiagLogger } from '@opentelemetry/api';

/**
 * Wraps a hook so that nothing it throws reaches the application. The first
 * failure of each hook is logged as an error through the instrumentation's
 * diag logger, later ones at debug level, so a broken hook cannot flood logs.
 */
export function guard<A extends unknown[]>(
  diag: DiagLogger,
  name: string,
  hook: (...args: A) => void,
): (...args: A) => void {
  let failures = 0;
  return (...args: A): void => {
    try {
      hook(...args);
    } catch (error) {
      failures += 1;
      if (failures === 1) diag.error(`connmetrics: hook ${name} failed; the application is unaffected`, error);
      else diag.debug(`connmetrics: hook ${name} failed again (${failures} times)`, error);
    }
  };
}

/**
 * Runs hooks that are not channel handlers (socket event listeners, timers)
 * guarded, logging the first failure of each named hook once.
 */
export class HookRunner {
  private readonly failures = new Map<string, number>();

  constructor(private readonly diag: () => DiagLogger) {}

  run(name: string, hook: () => void): void {
    try {
      hook();
    } catch (error) {
      const failures = (this.failures.get(name) ?? 0) + 1;
      this.failures.set(name, failures);
      if (failures === 1) this.diag().error(`connmetrics: hook ${name} failed; the application is unaffected`, error);
      else this.diag().debug(`connmetrics: hook ${name} failed again (${failures} times)`, error);
    }
  }
}
