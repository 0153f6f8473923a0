// Writes src/version.ts of every package that has one from its package.json
// (name and version), so PACKAGE_VERSION never drifts from the published
// version: run before tsc (`pnpm build`, `pnpm test`) and after
// `changeset version` (`pnpm release`). `--check` only reports drift.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const check = process.argv.includes('--check');

/** The generated text of a package's src/version.ts. */
export function versionSource({ name, version }) {
  return [
    '// Generated from package.json by tools/generate-versions.mjs: do not edit.',
    `export const PACKAGE_NAME = '${name}';`,
    `export const PACKAGE_VERSION = '${version}';`,
    '',
  ].join('\n');
}

let drift = 0;
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const file = join(root, 'packages', dir, 'src', 'version.ts');
  if (!existsSync(file)) continue;
  const pkg = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  const wanted = versionSource(pkg);
  if (readFileSync(file, 'utf8') === wanted) continue;
  if (check) {
    console.error(`packages/${dir}/src/version.ts does not match package.json (run node tools/generate-versions.mjs)`);
    drift += 1;
  } else {
    writeFileSync(file, wanted);
    console.log(`packages/${dir}/src/version.ts: ${pkg.name} ${pkg.version}`);
  }
}
process.exitCode = drift > 0 ? 1 : 0;
