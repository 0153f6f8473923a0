/*
 * Copies of a library that were loaded before an instrumentation could patch
 * them (`require('@opentelemetry/sdk-node')` loads @grpc/grpc-js through its
 * OTLP/gRPC exporter before any user code). The require hook of
 * InstrumentationBase only sees files loaded after it is installed; files
 * already in the CommonJS module cache are found here, so that a package can
 * patch them late (a prototype patch applies to objects created before it, too)
 * instead of counting nothing.
 */
import { readFileSync } from 'node:fs';
import { join, sep } from 'node:path';

export interface LoadedModuleFile {
  /** The file's absolute path. */
  readonly filename: string;
  /** What the file exports. */
  readonly exports: unknown;
  /** The version in the package's package.json, if it could be read. */
  readonly version: string | undefined;
}

function cache(): Record<string, { exports?: unknown } | undefined> {
  try {
    return (typeof require === 'function' && require.cache) || {};
  } catch {
    return {};
  }
}

/**
 * The loaded copies of a package's file, e.g. `@grpc/grpc-js/build/src/transport.js`
 * (a package name, then the file's path inside the package, with `/`).
 * Scans the module cache once per call: for enable(), not for a hot path.
 */
export function loadedModuleFiles(moduleFile: string): LoadedModuleFile[] {
  const [first, ...rest] = moduleFile.split('/');
  const packageName = first?.startsWith('@') ? `${first}/${rest.shift() ?? ''}` : (first ?? '');
  const suffix = `${sep}node_modules${sep}${moduleFile.split('/').join(sep)}`;
  const found: LoadedModuleFile[] = [];
  for (const [filename, entry] of Object.entries(cache())) {
    if (!entry || !filename.endsWith(suffix)) continue;
    const packageDir = join(filename.slice(0, filename.length - suffix.length), 'node_modules', ...packageName.split('/'));
    found.push({ filename, exports: entry.exports, version: packageVersion(packageDir) });
  }
  return found;
}

function packageVersion(packageDir: string): string | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `version` (x.y.z) lies in `[min, maxExclusive)` by major.minor.patch, for the ranges instrumentations declare. */
export function versionInRange(version: string | undefined, min: string, maxExclusive: string): boolean {
  const parse = (value: string) => value.split(/[.+-]/).slice(0, 3).map(Number);
  if (!version) return false;
  const [v, lo, hi] = [parse(version), parse(min), parse(maxExclusive)];
  const compare = (a: number[], b: number[]) => {
    for (let i = 0; i < 3; i += 1) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  return !v.some(Number.isNaN) && compare(v, lo) >= 0 && compare(v, hi) < 0;
}

