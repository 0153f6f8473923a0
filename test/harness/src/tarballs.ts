/*
 * The packages as users get them: `pnpm pack` tarballs installed with npm
 * into a scratch application. Packing runs once per test process (the
 * promise is kept); each scratch app gets its own directory.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The workspace's root (test/harness/build → ../../..). */
const ROOT = resolve(__dirname, '..', '..', '..');

/** Every publishable package, by directory under packages/ (those whose package.json is not private). */
export function packageDirectories(): string[] {
  return readdirSync(join(ROOT, 'packages')).filter((directory) => {
    try {
      return JSON.parse(readFileSync(join(ROOT, 'packages', directory, 'package.json'), 'utf8')).private !== true;
    } catch {
      return false;
    }
  });
}

let packed: Promise<Record<string, string>> | undefined;

const temporary: string[] = [];
/** Scratch apps by their dependencies. */
const apps = new Map<string, Promise<string>>();

async function temporaryDirectory(prefix: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  temporary.push(directory);
  return directory;
}

/** Removes the tarballs and scratch apps made so far (call in afterAll); the next use packs again. */
export function removeTarballs(): void {
  for (const directory of temporary.splice(0)) rmSync(directory, { recursive: true, force: true });
  packed = undefined;
  apps.clear();
}

/** Packs every package (built first by the test runner's `tsc -b`) once; resolves package name → tarball path. */
export function packTarballs(): Promise<Record<string, string>> {
  return (packed ??= (async () => {
    const destination = await temporaryDirectory('connmetrics-tarballs-');
    await Promise.all(
      packageDirectories().map((directory) => run('pnpm', ['pack', '--pack-destination', destination], { cwd: join(ROOT, 'packages', directory) })),
    );
    const tarballs: Record<string, string> = {};
    for (const file of await readdir(destination)) {
      const match = /^connmetrics-(.+)-\d+\.\d+\.\d+.*\.tgz$/.exec(file);
      if (match) tarballs[`@connmetrics/${match[1]}`] = join(destination, file);
    }
    return tarballs;
  })());
}

/**
 * A scratch application with every connmetrics tarball and `dependencies`
 * (from the registry, or npm's cache) installed by npm, once per test process
 * and set of dependencies (`npmArguments`: extra flags, such as
 * `--legacy-peer-deps` for an application that forces a peer). Returns its directory; tests copy their own
 * scripts into it.
 */
export function installScratchApp(dependencies: Record<string, string> = {}, npmArguments: readonly string[] = []): Promise<string> {
  const key = JSON.stringify([Object.entries(dependencies).sort(), npmArguments]);
  let app = apps.get(key);
  if (!app) apps.set(key, (app = install(dependencies, npmArguments)));
  return app;
}

async function install(dependencies: Record<string, string>, npmArguments: readonly string[]): Promise<string> {
  const tarballs = await packTarballs();
  const directory = await temporaryDirectory('connmetrics-app-');
  const files = Object.fromEntries(Object.entries(tarballs).map(([name, path]) => [name, `file:${path}`]));
  await writeFile(
    join(directory, 'package.json'),
    JSON.stringify({ name: 'scratch-app', private: true, dependencies: { ...files, ...dependencies }, overrides: files }, null, 2),
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...npmArguments], { cwd: directory, timeout: 240_000 });
  return directory;
}
