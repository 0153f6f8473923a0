// Locates the pinned Node.js binaries installed from the npm registry's `node` package.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The Node.js major versions the suite runs on, in order. */
export const SUPPORTED_NODE_MAJORS = ['22', '24', '26'];

/** Absolute path of the pinned `node` binary for a major version. */
export function nodeBinary(major) {
  const bin = join(here, 'node_modules', `node${major}`, 'bin', 'node');
  if (!existsSync(bin)) {
    throw new Error(`Node ${major} is not installed at ${bin}; run "pnpm install" first`);
  }
  return bin;
}

/** An environment whose PATH starts with the pinned Node, so child processes use it too. */
export function envFor(major, base = process.env) {
  const bin = nodeBinary(major);
  return { ...base, PATH: `${dirname(bin)}:${base.PATH ?? ''}` };
}
