/*
 * `node --import @connmetrics/auto/register app.mjs`: the same as the
 * CommonJS entry, plus the ES module loader hook that lets the
 * instrumentations which patch a library's module see it when the application
 * imports it (import-in-the-middle, through @opentelemetry/instrumentation).
 * The hook is registered only when an enabled instrumentation patches a
 * module, only for those modules, and not when the command line already
 * loads import-in-the-middle's hook for every module.
 *
 * Where Node runs import-in-the-middle's hooks in the application thread
 * (`module.registerHooks`: 22.22.3+, 24.11.1+, 26), they are registered that
 * way: `module.register()` is deprecated from Node 26 (DEP0205) and would print
 * a warning into the application's output. The synchronous hooks come from
 * the import-in-the-middle that @opentelemetry/instrumentation itself uses, so
 * that its `Hook()` registrations are the ones the loader sees.
 */
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { connectionMetrics } from './register.js';
import { warnOnce } from './warnings.js';

export { connectionMetrics };

interface SyncHooks {
  supportsSyncHooks(): boolean;
  register(options: { include: Array<string | RegExp> }): void;
}

/** import-in-the-middle's synchronous registration, resolved beside @opentelemetry/instrumentation. */
async function syncHooks(): Promise<SyncHooks | undefined> {
  const fromHere = createRequire(import.meta.url);
  const instrumentation = fromHere.resolve('@opentelemetry/instrumentation');
  const file = createRequire(instrumentation).resolve('import-in-the-middle/register-hooks.mjs');
  const hooks = (await import(pathToFileURL(file).href)) as Partial<SyncHooks>;
  return typeof hooks.register === 'function' && typeof hooks.supportsSyncHooks === 'function' && hooks.supportsSyncHooks()
    ? (hooks as SyncHooks)
    : undefined;
}

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
    const hooks = await syncHooks().catch(() => undefined);
    if (hooks) hooks.register({ include });
    else register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include } });
  }
} catch (error) {
  warnOnce(
    'esm-hook',
    `connmetrics: the ES module loader hook could not be registered; libraries imported as ES modules may not be instrumented: ${error instanceof Error ? error.message : String(error)}`,
  );
}
