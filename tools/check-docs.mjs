// Docs that match the repository: in every README and docs/ page, each
// relative link resolves to a file (and a `#heading` to a heading of it), and
// each file path quoted as code (`packages/x/test/y.test.ts`) exists, so a
// guarantee or metrics table never points at a test or a module that is not
// there. A table that says file names are "under test/reliability/" is read
// that way. Links never leave the repository for a sibling checkout.
// Prints "ok - ..." / "not ok - ..." per document; with --json the last line
// is {"passed":N,"failed":N}.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const json = process.argv.includes('--json');

function markdownFiles() {
  const files = ['README.md'];
  const walk = (dir) => {
    if (!existsSync(join(root, dir))) return;
    for (const entry of readdirSync(join(root, dir))) {
      const rel = join(dir, entry);
      if (entry === 'node_modules' || entry === 'build' || entry.startsWith('.')) continue;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else if (entry.endsWith('.md') && entry !== 'CHANGELOG.md') files.push(rel);
    }
  };
  for (const dir of ['docs', 'packages', 'test', 'examples', 'tools', '.changeset']) walk(dir);
  return files;
}

const slug = (heading) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[`*_~]/g, '')
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');

function headings(file) {
  return new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => slug(line.replace(/^#+ /, ''))),
  );
}

let passed = 0;
let failed = 0;
for (const file of markdownFiles()) {
  const text = readFileSync(join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  const here = dirname(join(root, file));
  const problems = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue; // a URL: not a file of this repository
    const [path, anchor] = target.split('#');
    const resolved = path ? join(here, path) : join(root, file);
    if (!resolved.startsWith(root)) problems.push(`${target} leaves the repository`);
    else if (!existsSync(resolved)) problems.push(`${target} does not exist`);
    else if (anchor && statSync(resolved).isFile() && resolved.endsWith('.md') && !headings(resolved).has(anchor)) problems.push(`${target}: no such heading`);
  }
  // Code spans that name a file of the repository: a path with a directory and an extension.
  const under = /under \[?`?(test\/[a-z-]+)\/?`?\]?/.exec(text)?.[1];
  for (const [, span] of text.matchAll(/`([^`\s]+)`/g)) {
    if (!/^[\w.@-]+(\/[\w.@*-]+)*\.(ts|mts|cts|mjs|cjs|js|json|md|yaml|yml)$/.test(span)) continue;
    if (span.startsWith('@') || span.includes('node_modules') || span.startsWith('http')) continue;
    // A path may be relative to the repository, to the page, to a folder beside the page (an
    // examples README naming `lib/x.mjs` of its demo), or to each package (`src/version.ts`).
    const besides = readdirSync(here).filter((entry) => !entry.startsWith('.') && entry !== 'node_modules' && statSync(join(here, entry)).isDirectory());
    const packageDirs = readdirSync(join(root, 'packages')).map((dir) => join(root, 'packages', dir));
    const candidates = span.includes('/')
      ? [
          join(root, span),
          join(here, span),
          ...besides.map((dir) => join(here, dir, span)),
          ...packageDirs.map((dir) => join(dir, span)),
          // A file of an instrumented library (`pg/lib/client.js`), as a package's dev dependency installs it.
          ...packageDirs.map((dir) => join(dir, 'node_modules', span)),
        ]
      : [join(here, span), join(root, span), ...(under ? [join(root, under, span)] : [])];
    if (span.includes('*')) {
      // `packages/*/test/x.test.ts` claims a file in every instrumentation package.
      const glob = /^packages\/\*\/(.+)$/.exec(span);
      if (glob) {
        const missing = packageDirs.filter((dir) => /instrumentation-/.test(dir) && !existsSync(join(dir, glob[1])));
        if (missing.length) problems.push(`\`${span}\` is missing in ${missing.map((dir) => relative(root, dir)).join(', ')}`);
      }
      continue;
    }
    if (!span.includes('/') && !under && !/\.test\.ts$/.test(span)) continue; // a bare name (package.json, index.ts) is not a claim
    if (!candidates.some((candidate) => existsSync(candidate))) problems.push(`\`${span}\` does not exist`);
  }
  const name = relative(root, join(root, file));
  if (problems.length) {
    failed += 1;
    console.log(`not ok - ${name}: ${[...new Set(problems)].join('; ')}`);
  } else {
    passed += 1;
    console.log(`ok - ${name}: links and file names resolve`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
if (json) console.log(JSON.stringify({ passed, failed }));
process.exitCode = failed > 0 ? 1 : 0;
