/*
 * Child-process fixtures: a real Node process (real `require`/`import`, so
 * module patching and `--require`/`--import` loading work exactly as in an
 * application) that prints one `RESULT <json>` line for the test to assert on.
 */
import { spawn } from 'node:child_process';

export interface FixtureOptions {
  args?: string[];
  /** Node flags placed before the script, e.g. ['--import', 'x']. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

export interface FixtureRun<T> {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The value of the last `RESULT <json>` line, if any. */
  result: T | undefined;
}

const RESULT_PREFIX = 'RESULT ';

/** Runs `node [execArgv] script [args]` on the Node running the tests. */
export function runFixture<T = unknown>(script: string, options: FixtureOptions = {}): Promise<FixtureRun<T>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.execArgv ?? []), script, ...(options.args ?? [])], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fixture ${script} timed out after ${options.timeoutMs ?? 30_000} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout
        .split('\n')
        .reverse()
        .find((candidate) => candidate.startsWith(RESULT_PREFIX));
      resolve({ code, signal, stdout, stderr, result: line ? (JSON.parse(line.slice(RESULT_PREFIX.length)) as T) : undefined });
    });
  });
}

/** For the fixture itself: prints the result line the test reads. */
export function reportFixtureResult(value: unknown): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(value)}\n`);
}
