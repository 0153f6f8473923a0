/*
 * `node --import @connmetrics/auto/register app.mjs`: the same as the
 * CommonJS entry, plus the ES module loader hook that lets the
 * instrumentations which patch a library's module see it when the application
 * imports it (import-in-the-middle, through @opentelemetry/instrumentation).
 * The hook is registered only when an enabled instrumentation patches a
 * module, only for those modules, and not when the command line already
 * loads import-in-the-middle's hook for every module.
 */
import { register } from 'node:module';
import { connectionMetrics } from './register.js';
import { warnOnce } from './warnings.js';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * True when the command line or NODE_OPTIONS already loads
 * import-in-the-middle's hook (the loader flag the upstream packages
 * document): it hooks every module, so a second, narrower one would only
 * wrap modules twice.
 */
function loaderHookAlreadyGiven(): boolean {
  const flags = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  return flags.some((flag) => /(?:^|[=/])(?:import-in-the-middle|@opentelemetry\/instrumentation)\/hook\.mjs$/.test(flag));
}

function patchedModuleNames(): string[] {
  const names = new Set<string>();
  for (const instrumentation of connectionMetrics.instrumentations) {
    const definitions = (instrumentation as { getModuleDefinitions?: () => Array<{ name: string }> }).getModuleDefinitions?.() ?? [];
    for (const definition of definitions) names.add(definition.name);
  }
  return [...names];
}

try {
  const names = patchedModuleNames();
  if (names.length > 0 && !loaderHookAlreadyGiven()) {
    // The bare names match `import 'pg'`; the patterns match the files inside
    // each package, which the instrumentations may patch too.
    const include: Array<string | RegExp> = [
      ...names,
      ...names.map((name) => new RegExp(`/node_modules/${escapeRegExp(name)}/`)),
    ];
    register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include } });
  }
} catch (error) {
  warnOnce(
    'esm-hook',
    `connmetrics: the ES module loader hook could not be registered; libraries imported as ES modules may not be instrumented: ${error instanceof Error ? error.message : String(error)}`,
  );
}
