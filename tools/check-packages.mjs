// What an npm user can trust of every published package (each non-private
// packages/*/package.json, so a new package is held to the same rules):
//
// - its manifest: a description and keywords for npm search, Apache-2.0 with
//   the LICENSE text, no invented repository/homepage, `sideEffects`, an
//   `exports` map whose every condition names its own `types`, files that
//   exist, `@opentelemetry/api` as a peer only, no private workspace package
//   in any runtime dependency, a CHANGELOG, src/version.ts generated from
//   package.json;
// - its tarball (`pnpm pack`, which rewrites `workspace:` ranges as a publish
//   would): LICENSE, README and CHANGELOG in it, no tests or build info, every
//   source map with its sources, every exports target present, a manifest
//   with no `workspace:` range and no private package;
// - the sources compile against the lowest `@opentelemetry/api` of the peer
//   range (root devDependency `otel-api-lowest`), and every runtime
//   dependency's own API peer range admits that version, so the range is honest;
// - `npm publish --dry-run` of that tarball succeeds without a warning;
// - the types of every entry point, against what it really exports at run
//   time: a scratch TypeScript project installs the tarballs and, under
//   CommonJS (`require`, node16), ES modules (`import`, node16) and a bundler
//   (`moduleResolution: bundler`), checks that the names the types declare are
//   exactly the names `require()` / `import()` return.
//
// Prints one line per check ("ok - ..." / "not ok - ...: why"); with --json
// the last line is {"passed":N,"failed":N}. Exit code 1 when a check fails.
// Run after tsc -b (the tarballs hold build/).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import semver from 'semver';
import { versionSource } from './generate-versions.mjs';

const root = new URL('..', import.meta.url).pathname;
const json = process.argv.includes('--json');
const keep = process.argv.includes('--keep');
let passed = 0;
let failed = 0;

function check(name, problem) {
  if (problem) {
    failed += 1;
    console.log(`not ok - ${name}: ${problem}`);
  } else {
    passed += 1;
    console.log(`ok - ${name}`);
  }
}

/** Runs `fn`, turning a throw into the check's failure. */
function checking(name, fn) {
  let problem;
  try {
    problem = fn();
  } catch (error) {
    problem = error instanceof Error ? error.message.split('\n').slice(0, 6).join(' | ') : String(error);
  }
  check(name, problem || undefined);
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/**
 * How to run pnpm: the pnpm running this script (`pnpm test` sets
 * npm_execpath, also when pnpm itself came from npx and is not on the PATH),
 * else `pnpm` on the PATH.
 */
function pnpm(args) {
  const execpath = process.env.npm_execpath ?? '';
  if (/pnpm/.test(execpath) && /\.[cm]?js$/.test(execpath)) return [process.execPath, [execpath, ...args]];
  if (/pnpm/.test(execpath)) return [execpath, args];
  return ['pnpm', args];
}
const workspaceDirs = [
  ...readdirSync(join(root, 'packages')).map((dir) => join(root, 'packages', dir)),
  join(root, 'test/harness'),
  join(root, 'test/bench'),
  join(root, 'test/reliability'),
  join(root, 'tools/runtimes'),
].filter((dir) => existsSync(join(dir, 'package.json')));
const privateNames = new Set(workspaceDirs.map((dir) => readJson(join(dir, 'package.json'))).filter((pkg) => pkg.private).map((pkg) => pkg.name));
const packages = readdirSync(join(root, 'packages'))
  .sort()
  .map((dir) => ({ dir: join(root, 'packages', dir), rel: `packages/${dir}` }))
  .filter(({ dir }) => existsSync(join(dir, 'package.json')))
  .map((entry) => ({ ...entry, pkg: readJson(join(entry.dir, 'package.json')) }))
  .filter(({ pkg }) => !pkg.private);
const rootLicense = readFileSync(join(root, 'LICENSE'), 'utf8');
const RUNTIME_DEPS = ['dependencies', 'peerDependencies', 'optionalDependencies'];

/** Every [condition path, target] of an exports entry, e.g. [['import', 'types'], './build/x.d.mts']. */
function targets(entry, path = []) {
  if (typeof entry === 'string') return [[path, entry]];
  if (entry === null || typeof entry !== 'object') return [];
  return Object.entries(entry).flatMap(([condition, value]) => targets(value, [...path, condition]));
}

/** Problems of one conditional exports object: `types` first and beside each JS target, matching its format. */
function conditionProblems(entry, where) {
  if (typeof entry === 'string') return entry.endsWith('.json') ? [] : [`${where} is a bare path: give it { types, default }`];
  const problems = [];
  const keys = Object.keys(entry);
  const nested = keys.filter((key) => typeof entry[key] === 'object');
  if (nested.length === 0) {
    if (keys[0] !== 'types') problems.push(`${where}: "types" must come first (got ${keys.join(', ')})`);
    const jsTargets = keys.filter((key) => key !== 'types');
    if (jsTargets.length > 1) problems.push(`${where}: one types for ${jsTargets.join(' and ')}: nest each condition with its own types`);
    const js = entry.default ?? entry.import ?? entry.require;
    const types = entry.types;
    const pairs = { '.mjs': '.d.mts', '.cjs': '.d.cts', '.js': '.d.ts' };
    const extension = Object.keys(pairs).find((ext) => js?.endsWith(ext));
    if (!extension || !types?.endsWith(pairs[extension]) || types.slice(0, -pairs[extension].length) !== js.slice(0, -extension.length)) {
      problems.push(`${where}: types ${types} does not describe ${js}`);
    }
  } else {
    for (const key of nested) problems.push(...conditionProblems(entry[key], `${where}.${key}`));
    const bare = keys.filter((key) => typeof entry[key] === 'string');
    if (bare.length > 0) problems.push(`${where}: ${bare.join(', ')} beside nested conditions has no types`);
  }
  return problems;
}

// ---- manifests ---------------------------------------------------------------

for (const { dir, rel, pkg } of packages) {
  const name = pkg.name;
  checking(`${name}: description and keywords`, () =>
    typeof pkg.description !== 'string' || pkg.description.length < 20
      ? 'a description of at least 20 characters (npm search shows it)'
      : !Array.isArray(pkg.keywords) || !pkg.keywords.includes('opentelemetry')
        ? 'keywords including "opentelemetry"'
        : undefined,
  );
  checking(`${name}: Apache-2.0 with its LICENSE text`, () =>
    pkg.license !== 'Apache-2.0'
      ? `license is ${pkg.license}`
      : !existsSync(join(dir, 'LICENSE')) || readFileSync(join(dir, 'LICENSE'), 'utf8') !== rootLicense
        ? `${rel}/LICENSE must be a copy of the root LICENSE (cp LICENSE ${rel}/)`
        : undefined,
  );
  checking(`${name}: no repository, homepage or bugs until the project has a public home`, () =>
    ['repository', 'homepage', 'bugs'].filter((key) => key in pkg).join(', ') || undefined,
  );
  checking(`${name}: sideEffects`, () => {
    if (pkg.sideEffects === false) return undefined;
    if (!Array.isArray(pkg.sideEffects)) return 'sideEffects: false, or the list of files with side effects';
    const missing = pkg.sideEffects.filter((file) => !existsSync(join(dir, file)));
    return missing.length ? `listed but not built: ${missing.join(', ')}` : undefined;
  });
  checking(`${name}: exports map with types per condition`, () => {
    const exportsMap = pkg.exports;
    if (!exportsMap || typeof exportsMap !== 'object' || !exportsMap['.']) return 'an exports map with "."';
    if (exportsMap['./package.json'] !== './package.json') return '"./package.json": "./package.json" (tools read it)';
    const problems = Object.entries(exportsMap).flatMap(([key, entry]) => conditionProblems(entry, key));
    const missing = Object.values(exportsMap)
      .flatMap((entry) => targets(entry))
      .map(([, target]) => target)
      .filter((target) => !existsSync(join(dir, target)));
    if (missing.length) problems.push(`not built: ${missing.join(', ')}`);
    const dot = targets(exportsMap['.']);
    if (pkg.main && !dot.some(([, target]) => posix.normalize(target) === posix.normalize(pkg.main))) problems.push(`main ${pkg.main} is not exports["."]`);
    if (pkg.types && !dot.some(([, target]) => posix.normalize(target) === posix.normalize(pkg.types))) problems.push(`types ${pkg.types} is not exports["."]`);
    return problems.join('; ') || undefined;
  });
  checking(`${name}: files list`, () => {
    const files = pkg.files ?? [];
    const missing = ['README.md', 'CHANGELOG.md', 'LICENSE'].filter((file) => !files.includes(file) || !existsSync(join(dir, file)));
    return missing.length ? `${missing.join(', ')} in "files" and in ${rel}` : undefined;
  });
  checking(`${name}: CHANGELOG.md`, () => (readFileSync(join(dir, 'CHANGELOG.md'), 'utf8').startsWith(`# ${name}\n`) ? undefined : `starts with "# ${name}"`));
  checking(`${name}: engines.node`, () => (pkg.engines?.node ? undefined : 'engines.node'));
  checking(`${name}: @opentelemetry/api is a peer dependency only`, () =>
    !pkg.peerDependencies?.['@opentelemetry/api']
      ? 'peerDependencies["@opentelemetry/api"]'
      : pkg.dependencies?.['@opentelemetry/api']
        ? 'not in dependencies (two copies of the API split the global MeterProvider)'
        : undefined,
  );
  checking(`${name}: no private workspace package at run time`, () => {
    const bad = RUNTIME_DEPS.flatMap((field) => Object.keys(pkg[field] ?? {}).filter((dep) => privateNames.has(dep)).map((dep) => `${field}.${dep}`));
    return bad.length ? `${bad.join(', ')} (devDependencies only)` : undefined;
  });
  const versionFile = join(dir, 'src/version.ts');
  if (existsSync(versionFile)) {
    checking(`${name}: src/version.ts generated from package.json`, () =>
      readFileSync(versionFile, 'utf8') === versionSource(pkg) ? undefined : 'run node tools/generate-versions.mjs',
    );
  }
}

// ---- the lowest @opentelemetry/api of the peer range -------------------------

// The sources must compile against the lowest version the peer range admits
// (root devDependency `otel-api-lowest`): a range wider than the code needs
// fails here, not in a user's build.
const lowestApi = join(root, 'node_modules/otel-api-lowest');
const lowestVersion = readJson(join(lowestApi, 'package.json')).version;
for (const { dir, rel, pkg } of packages) {
  const range = pkg.peerDependencies?.['@opentelemetry/api'];
  if (!range || !existsSync(join(dir, 'tsconfig.json'))) continue;
  checking(`${pkg.name}: sources compile against @opentelemetry/api ${lowestVersion}, the lowest of ${range}`, () => {
    const lowest = semver.minVersion(range)?.version;
    if (lowest !== lowestVersion) return `the peer range ${range} must start at ${lowestVersion} (or move otel-api-lowest to its lowest version)`;
    const config = join(tmpdir(), `connmetrics-api-lowest-${process.pid}-${rel.replace(/\W/g, '-')}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        extends: join(dir, 'tsconfig.json'),
        compilerOptions: {
          noEmit: true,
          composite: false,
          declaration: false,
          declarationMap: false,
          incremental: false,
          rootDir: join(dir, 'src'),
          typeRoots: [join(root, 'node_modules/@types')],
          paths: { '@opentelemetry/api': [lowestApi] },
        },
        include: [join(dir, 'src')],
        references: [],
      }),
    );
    try {
      const run = spawnSync(join(root, 'node_modules/.bin/tsc'), ['-p', config], { cwd: dir, encoding: 'utf8' });
      const errors = `${run.stdout}${run.stderr}`.split('\n').filter((line) => /error TS/.test(line));
      return errors.length ? errors.slice(0, 3).join(' | ') : run.status !== 0 ? `tsc exit ${run.status}` : undefined;
    } finally {
      rmSync(config, { force: true });
    }
  });
}

// Compiling is not enough: a dependency may need a newer API at run time
// (@opentelemetry/instrumentation 0.30x reads `api.logs`, new in 1.10). The
// lowest version of each package's range must satisfy every runtime
// dependency's own peer range, so that npm reports a conflict at install
// time instead of the application failing at start.
for (const { dir, pkg } of packages) {
  const range = pkg.peerDependencies?.['@opentelemetry/api'];
  const lowest = range && semver.minVersion(range)?.version;
  if (!lowest) continue;
  const deps = Object.keys(pkg.dependencies ?? {}).filter((dep) => !dep.startsWith('@connmetrics/'));
  checking(`${pkg.name}: every dependency accepts @opentelemetry/api ${lowest}, the lowest of ${range}`, () => {
    const refused = deps.flatMap((dep) => {
      const theirs = readJson(join(dir, 'node_modules', dep, 'package.json')).peerDependencies?.['@opentelemetry/api'];
      return theirs && !semver.satisfies(lowest, theirs) ? [`${dep} needs ${theirs}`] : [];
    });
    return refused.length ? `${refused.join('; ')}: raise the peer range (and otel-api-lowest)` : undefined;
  });
}

// ---- tarballs and npm publish --dry-run --------------------------------------

const scratch = mkdtempSync(join(tmpdir(), 'connmetrics-packages-'));
const tarballs = join(scratch, 'tarballs');
mkdirSync(tarballs);
// The scratch project of the types check: each tarball is installed (extracted) into its node_modules.
const project = join(scratch, 'project');
const modules = join(project, 'node_modules');
const packed = [];
for (const { dir, pkg } of packages) {
  const name = pkg.name;
  let tarball;
  checking(`${name}: pnpm pack`, () => {
    const before = new Set(readdirSync(tarballs));
    const [command, args] = pnpm(['pack', '--pack-destination', tarballs]);
    execFileSync(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const created = readdirSync(tarballs).filter((file) => !before.has(file) && file.endsWith('.tgz'));
    if (created.length !== 1) return `expected one tarball, got ${created.join(', ') || 'none'}`;
    tarball = join(tarballs, created[0]);
    return undefined;
  });
  if (!tarball) continue;
  const extracted = join(modules, name);
  mkdirSync(extracted, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', extracted, '--strip-components=1']);
  const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((file) => file.replace(/^package\//, ''));
  const files = new Set(list);
  const manifest = readJson(join(extracted, 'package.json'));
  packed.push({ name, tarball, extracted, manifest, dir, files: list });

  checking(`${name}: tarball holds LICENSE, README.md, CHANGELOG.md`, () =>
    ['LICENSE', 'README.md', 'CHANGELOG.md', 'package.json'].filter((file) => !files.has(file)).join(', ') || undefined,
  );
  checking(`${name}: tarball holds no tests, fixtures or build info`, () =>
    list.filter((file) => /(^|\/)(test|tests|__tests__|fixtures)\/|\.test\.|tsbuildinfo|tsconfig/.test(file)).join(', ') || undefined,
  );
  checking(`${name}: every source map ships with its sources`, () => {
    const missing = [];
    for (const file of list.filter((file) => file.endsWith('.map'))) {
      const map = readJson(join(extracted, file));
      for (const source of map.sources ?? []) {
        const resolved = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
        if (!files.has(resolved)) missing.push(`${file} → ${resolved}`);
      }
    }
    return missing.slice(0, 5).join(', ') || undefined;
  });
  checking(`${name}: every exports target is in the tarball`, () =>
    Object.values(manifest.exports ?? {})
      .flatMap((entry) => targets(entry))
      .map(([, target]) => posix.normalize(target))
      .filter((target) => !files.has(target))
      .join(', ') || undefined,
  );
  checking(`${name}: packed manifest has no workspace: range and no private package`, () => {
    const bad = [];
    for (const field of [...RUNTIME_DEPS, 'devDependencies']) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        if (String(range).startsWith('workspace:')) bad.push(`${field}.${dep}@${range}`);
        if (field !== 'devDependencies' && privateNames.has(dep)) bad.push(`${field}.${dep} is private`);
      }
    }
    return bad.join(', ') || undefined;
  });
  checking(`${name}: npm publish --dry-run`, () => {
    // pnpm passes its own settings to scripts as npm_config_* variables, which npm
    // would warn about as unknown: npm gets only those it knows.
    const npmEnv = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^npm_config_/i.test(key) || /^npm_config_(cache|registry|userconfig)$/i.test(key)),
    );
    const run = spawnSync('npm', ['publish', '--dry-run', '--access', 'public', tarball], { cwd: scratch, encoding: 'utf8', env: npmEnv });
    const output = `${run.stdout}${run.stderr}`;
    // Logging in is what a dry run cannot do: the only warning it may give.
    const warnings = output.split('\n').filter((line) => /npm (warn|WARN|ERR)/.test(line) && !/requires you to be logged in/.test(line));
    if (run.status !== 0) return `exit ${run.status}: ${output.trim().split('\n').slice(-3).join(' | ')}`;
    return warnings.join(' | ') || undefined;
  });
}

// ---- types of every entry point, against run time ----------------------------

/** A scratch project whose node_modules hold the tarballs and, linked, what they depend on. */
function scratchProject() {
  mkdirSync(modules, { recursive: true });
  const link = (name, target) => {
    const at = join(modules, name);
    if (existsSync(at)) return;
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(target, at);
  };
  for (const { dir, manifest } of packed) {
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) {
      if (dep.startsWith('@connmetrics/')) continue;
      const installed = join(dir, 'node_modules', dep);
      if (existsSync(installed)) link(dep, realpathSync(installed));
    }
  }
  link('@types/node', realpathSync(join(root, 'node_modules/@types/node')));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'connmetrics-types-check', private: true }));
  return project;
}

const entryPoints = packed.flatMap(({ name, manifest }) =>
  Object.keys(manifest.exports ?? { '.': null })
    .filter((key) => !key.endsWith('.json'))
    .map((key) => (key === '.' ? name : `${name}/${key.slice(2)}`)),
);

if (entryPoints.length > 0) {
  const project = scratchProject();
  // What each entry point really exports, as require() and import() see it (no pipeline is started).
  const probe = `
    const specs = ${JSON.stringify(entryPoints)};
    const out = {};
    const clean = (keys) => keys.filter((key) => key !== 'default' && key !== 'module.exports' && key !== '__esModule').sort();
    for (const spec of specs) {
      const exported = require(spec);
      // Every instrumentation class constructs (and disables) as a user's setup would.
      const constructed = [];
      for (const [key, value] of Object.entries(exported)) {
        if (!/Instrumentation$/.test(key) || typeof value !== 'function' || /Base$/.test(key)) continue;
        const instance = new value();
        instance.disable();
        if (!(instance instanceof value)) throw new Error(key + ' constructed an inert instance');
        constructed.push(key);
      }
      if (typeof exported.getConnectionInstrumentations === 'function') {
        for (const instance of exported.getConnectionInstrumentations()) instance.disable();
        constructed.push('getConnectionInstrumentations()');
      }
      out[spec] = { require: clean(Object.keys(exported)), import: null, constructed };
    }
    (async () => {
      for (const spec of specs) out[spec].import = clean(Object.keys(await import(spec)));
      process.stdout.write(JSON.stringify(out));
      process.exit(0);
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  let runtime;
  checking('entry points load under require() and import(), and every instrumentation constructs', () => {
    const run = spawnSync(process.execPath, ['-e', probe], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, OTEL_SDK_DISABLED: 'true', OTEL_METRICS_EXPORTER: 'none', NODE_OPTIONS: '' },
    });
    if (run.status !== 0) return run.stderr.trim().split('\n').slice(0, 4).join(' | ');
    runtime = JSON.parse(run.stdout);
    const constructed = Object.values(runtime).flatMap((entry) => entry.constructed);
    console.log(`# constructed: ${constructed.join(', ')}`);
    return constructed.length === 0 ? 'no instrumentation class found to construct' : undefined;
  });

  if (runtime) {
    const names = (list) => `{ ${list.map((name) => `${JSON.stringify(name)}: true`).join(', ')} }`;
    const sources = [];
    entryPoints.forEach((spec, index) => {
      const { require: cjs, import: esm } = runtime[spec];
      // The declared value exports, both ways: a missing property or an
      // excess one is a type error naming the export.
      sources.push([
        `cjs-${index}.cts`,
        `import ns = require('${spec}');\nexport const names: { [K in Exclude<keyof typeof ns, 'default' | '__esModule'>]: true } = ${names(cjs)};\n`,
      ]);
      sources.push([
        `esm-${index}.mts`,
        `import * as ns from '${spec}';\nexport const names: { [K in Exclude<keyof typeof ns, 'default' | '__esModule'>]: true } = ${names(esm)};\n`,
      ]);
    });
    const bundlerSources = entryPoints.map((spec, index) => [
      `bundler-${index}.ts`,
      `import * as ns from '${spec}';\nexport const names: { [K in Exclude<keyof typeof ns, 'default' | '__esModule'>]: true } = ${names(runtime[spec].import)};\n`,
    ]);
    const tsc = join(root, 'node_modules/.bin/tsc');
    const base = { strict: true, noEmit: true, types: ['node'], skipLibCheck: false, target: 'es2023', lib: ['es2023'] };
    const configs = [
      ['node16', { module: 'node16', moduleResolution: 'node16' }, sources],
      ['bundler', { module: 'esnext', moduleResolution: 'bundler' }, bundlerSources],
    ];
    for (const [label, options, files] of configs) {
      const dir = join(project, label);
      mkdirSync(dir, { recursive: true });
      for (const [file, text] of files) writeFileSync(join(dir, file), text);
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { ...base, ...options }, include: ['*.ts', '*.cts', '*.mts'] }, null, 2));
      const run = spawnSync(tsc, ['-p', join(dir, 'tsconfig.json')], { cwd: dir, encoding: 'utf8' });
      const errors = `${run.stdout}${run.stderr}`.split('\n').filter((line) => /error TS/.test(line));
      entryPoints.forEach((spec, index) => {
        const kinds = label === 'node16' ? [['cjs', 'require (CommonJS, node16)'], ['esm', 'import (ES module, node16)']] : [['bundler', 'import (bundler)']];
        for (const [prefix, description] of kinds) {
          const mine = errors.filter((line) => line.includes(`${prefix}-${index}.`));
          check(`${spec}: types match what ${description} exports`, mine.length ? mine.slice(0, 3).join(' | ') : undefined);
        }
      });
      const other = errors.filter((line) => !/(cjs|esm|bundler)-\d+\./.test(line));
      check(`types of every package type-check (${label}, skipLibCheck off)`, other.length ? other.slice(0, 5).join(' | ') : run.status !== 0 && errors.length === 0 ? `tsc exit ${run.status}` : undefined);
    }
  }
}

if (!keep) rmSync(scratch, { recursive: true, force: true });
else console.log(`scratch kept at ${scratch}`);
for (const { name, files } of packed) console.log(`# ${name}: ${files.length} files: ${files.filter((file) => !file.startsWith('build/') && !file.startsWith('src/')).join(', ')}, build/ ${files.filter((file) => file.startsWith('build/')).length}, src/ ${files.filter((file) => file.startsWith('src/')).length}`);
console.log(`${passed} passed, ${failed} failed`);
if (json) console.log(JSON.stringify({ passed, failed }));
process.exitCode = failed > 0 ? 1 : 0;
