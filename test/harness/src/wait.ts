/**
 * How long a wait may take before it fails. Only a failing wait ever takes
 * this long, so it is far above what the awaited event needs on a loaded
 * machine (a second copy of the suite running on the same 2 cores).
 */
export const WAIT_TIMEOUT_MS = 15_000;

/** Waits for a condition to hold, polling; rejects with `message` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, message: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The least idle time, in seconds, a measurement of a Node timer of `ms` can show: libuv's loop clock is
 * cached with 1 ms granularity, so a timer fires up to 1 ms before `performance.now()` says `ms` passed.
 */
export const timerFloorSeconds = (ms: number) => (ms - 1) / 1000;
