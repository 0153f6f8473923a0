/*
 * A long-running child process the test controls: wait for a line of its
 * output, send it a signal, and see how it ended. For fixtures that must stay
 * up while something else happens (a Prometheus scrape), or that are ended by
 * a signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ProcessOptions {
  args?: string[];
  /** Node flags placed before the script, e.g. ['--import', 'x']. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when stdout has a line matching `pattern`; rejects after `timeoutMs` or if the process ends first. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has ended; rejects after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<ProcessExit>;
  /** Sends a signal (SIGTERM by default). */
  kill(signal?: NodeJS.Signals): void;
  /** Ends the process for good (SIGKILL) if it still runs. */
  stop(): Promise<void>;
}

/** Runs `node [execArgv] script [args]` on the Node running the tests. */
export function startProcess(script: string, options: ProcessOptions = {}): RunningProcess {
  const child = spawn(process.execPath, [...(options.execArgv ?? []), script, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exit: ProcessExit | undefined;
  const exitWaiters: Array<(value: ProcessExit) => void> = [];
  const outputWaiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const check of outputWaiters) check();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.once('close', (code, signal) => {
    exit = { code, signal };
    for (const resolve of exitWaiters) resolve(exit);
    for (const check of outputWaiters) check();
  });
  const describe = () => `\nstdout:\n${stdout}\nstderr:\n${stderr}`;

  const running: RunningProcess = {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitForLine(pattern, timeoutMs = 20_000) {
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          outputWaiters.delete(check);
          reject(new Error(`timed out waiting for a line matching ${pattern}${describe()}`));
        }, timeoutMs);
        const check = () => {
          const line = stdout.split('\n').find((candidate) => pattern.test(candidate));
          if (line !== undefined) {
            clearTimeout(timer);
            outputWaiters.delete(check);
            resolve(line);
          } else if (exit) {
            clearTimeout(timer);
            outputWaiters.delete(check);
            reject(new Error(`process ended (${JSON.stringify(exit)}) before a line matching ${pattern}${describe()}`));
          }
        };
        outputWaiters.add(check);
        check();
      });
    },
    exited(timeoutMs = 20_000) {
      if (exit) return Promise.resolve(exit);
      return new Promise<ProcessExit>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`process did not end within ${timeoutMs} ms${describe()}`)), timeoutMs);
        exitWaiters.push((value) => {
          clearTimeout(timer);
          resolve(value);
        });
      });
    },
    kill(signal = 'SIGTERM') {
      child.kill(signal);
    },
    async stop() {
      if (exit) return;
      child.kill('SIGKILL');
      await running.exited(5_000).catch(() => undefined);
    },
  };
  return running;
}
