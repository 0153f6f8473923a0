/*
 * The last export before the process ends, without changing how it ends.
 *
 * - Normal exit ('beforeExit', when the event loop empties): `finish()` runs
 *   once; the process then exits as it would have.
 * - SIGTERM and SIGINT: when connmetrics is the only listener, the process
 *   would have been terminated by the signal; `finish()` runs (bounded by a
 *   timeout), then the listener is removed and the same signal raised again,
 *   so the process ends exactly as it would have without connmetrics (killed
 *   by that signal). When the application (or another library) listens too,
 *   it decides what happens: connmetrics only runs `flush()` and does not exit.
 *   signal-exit's listeners do not count as the application's: they too end
 *   the process only when they are alone.
 *
 * `process.exit()` ends the process synchronously, before any export can run:
 * call the SDK's shutdown yourself before it if the last interval matters.
 */
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Signal listeners of signal-exit (v3 and v4, used by many libraries): like
 * ours, they end the process only when nobody else listens. They are not the
 * application's: counted as listeners, each would wait for the other forever.
 */
function passiveListeners(): number {
  let count = 0;
  const v4 = (globalThis as Record<symbol, unknown>)[Symbol.for('signal-exit emitter')] as { count?: unknown } | undefined;
  if (typeof v4?.count === 'number') count += v4.count;
  const v3 = (process as unknown as { __signal_exit_emitter__?: { count?: unknown } }).__signal_exit_emitter__;
  if (typeof v3?.count === 'number') count += v3.count;
  return count;
}

/** Listeners of the application (or a library acting for it) besides ours and signal-exit's. */
function applicationListeners(signal: NodeJS.Signals, ours: number): number {
  return process.listenerCount(signal) - ours - passiveListeners();
}

export interface ExitActions {
  /** Export what is pending and keep running (the application goes on). */
  flush(): Promise<void>;
  /** Export what is pending and stop (the process is about to end). */
  finish(): Promise<void>;
}

export interface ExitHooks {
  remove(): void;
}

/** Resolves when `work` settles or after `timeoutMillis`, whichever is first; never rejects. */
export function bounded(work: () => Promise<void>, timeoutMillis: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMillis);
    timer.unref();
    let running: Promise<void>;
    try {
      running = Promise.resolve(work());
    } catch {
      running = Promise.resolve();
    }
    running.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

export function exportOnExit(actions: ExitActions, timeoutMillis: number): ExitHooks {
  let finished = false;
  const finishOnce = (): Promise<void> => {
    if (finished) return Promise.resolve();
    finished = true;
    return bounded(() => actions.finish(), timeoutMillis);
  };

  const onBeforeExit = () => {
    void finishOnce();
  };

  const signalListeners = new Map<NodeJS.Signals, () => void>();
  for (const signal of SIGNALS) {
    const listener = () => {
      const othersListen = applicationListeners(signal, 1) > 0;
      if (othersListen) {
        void bounded(() => actions.flush(), timeoutMillis);
        return;
      }
      if (finished) {
        // A second signal while the last export runs: stop waiting for it.
        reraise(signal, listener);
        return;
      }
      void finishOnce().then(() => reraise(signal, listener));
    };
    signalListeners.set(signal, listener);
    process.on(signal, listener);
  }
  process.once('beforeExit', onBeforeExit);

  return {
    remove() {
      process.removeListener('beforeExit', onBeforeExit);
      for (const [signal, listener] of signalListeners) process.removeListener(signal, listener);
    },
  };
}

/**
 * Ends the process by `signal`, as it would have ended without our listener
 * (signal-exit, if present, runs its exit handlers and ends it the same way).
 */
function reraise(signal: NodeJS.Signals, listener: () => void): void {
  process.removeListener(signal, listener);
  if (applicationListeners(signal, 0) > 0) return; // someone started listening meanwhile: their call
  process.kill(process.pid, signal);
}
