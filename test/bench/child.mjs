// Child processes of the benchmarks: the HTTP server and the mode workers,
// driven over IPC, optionally pinned to a CPU.
import { fork, spawnSync } from 'node:child_process';
import { cpus } from 'node:os';

/** Whether processes can be pinned to a CPU: Linux with taskset and at least two CPUs. */
export function canPin() {
  if (process.platform !== 'linux' || cpus().length < 2) return false;
  return spawnSync('taskset', ['-c', '0', process.execPath, '-e', '0']).status === 0;
}

/**
 * A forked process. `ready` resolves with its first message; `call()` sends
 * { id, cmd, ...payload } and resolves with the result of the answer
 * { id, ok, result | error }.
 */
export class Child {
  constructor(script, argv, { name, cpu, execArgv = [] }) {
    this.name = name;
    this.pending = new Map();
    this.nextId = 1;
    const options = { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv };
    if (cpu !== undefined) Object.assign(options, { execPath: 'taskset', execArgv: ['-c', String(cpu), process.execPath, ...execArgv] });
    this.process = fork(script, argv, options);
    this.exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.ready = new Promise((resolve, reject) => {
      this.process.once('message', resolve);
      this.exited.then((code) => reject(new Error(`${name} exited with code ${code} before it was ready`)));
    });
    this.ready.catch(() => {}); // reported to whoever awaits it
    this.process.on('message', (message) => {
      const waiter = this.pending.get(message?.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      clearTimeout(waiter.timer);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(`${name}: ${message.error}`));
    });
    this.exited.then((code) => {
      for (const waiter of this.pending.values()) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`${name} exited with code ${code}`));
      }
      this.pending.clear();
    });
  }

  call(cmd, payload = {}, timeoutMs = 120_000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.process.send({ id, cmd, ...payload });
    });
  }

  /** Ends the process (it exits when its IPC channel closes) and waits for it. */
  async stop() {
    if (this.process.connected) this.process.disconnect();
    await this.exited;
  }
}
