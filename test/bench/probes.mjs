// What the soak compares between checkpoints, besides the heap: the sizes of
// every Map and Set an instrumentation holds (found by walking its fields, so
// no package's internals are named here), its connection trackers' open sets,
// the process-wide socket-phase registry, and listener counts on long-lived
// objects.
import { getHeapStatistics } from 'node:v8';

const SKIP = /meter|tracer|logger|diag|config|modules|hooks|instruments|wrap/i;

/** Map/Set sizes and tracker open-set sizes inside an object, two levels deep. */
export function collectionSizes(root, prefix, depth = 2, out = {}, seen = new Set()) {
  if (root === null || typeof root !== 'object' || seen.has(root)) return out;
  seen.add(root);
  for (const key of Object.keys(root)) {
    if (SKIP.test(key)) continue;
    const value = root[key];
    if (value === null || typeof value !== 'object') continue;
    const path = `${prefix}.${key}`;
    if (value instanceof Map || value instanceof Set) {
      out[path] = value.size;
    } else if (typeof value.open === 'function' && value.open.length === 0) {
      try {
        const open = value.open();
        if (open instanceof Set || open instanceof Map) out[`${path}.open()`] = open.size;
      } catch {
        // not a tracker
      }
    }
    if (depth > 1 && !(value instanceof Map) && !(value instanceof Set) && !(value instanceof WeakMap) && !Array.isArray(value)) {
      collectionSizes(value, path, depth - 1, out, seen);
    }
  }
  return out;
}

/** The process-wide socket phase registry of @connmetrics/core. */
export function socketPhaseSizes() {
  const registry = globalThis[Symbol.for('connmetrics.core.socket-phases.v1')];
  if (!registry) return {};
  return { 'socketPhases.users': registry.users?.size ?? 0, 'socketPhases.pending': registry.pending ? 1 : 0 };
}

/** Total listeners of an EventEmitter, over all its events. */
export function listenerTotal(emitter) {
  if (!emitter || typeof emitter.eventNames !== 'function') return 0;
  return emitter.eventNames().reduce((total, name) => total + emitter.listenerCount(name), 0);
}

/** Heap used after full garbage collections (needs --expose-gc). */
export async function heapUsedAfterGc() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    // Let weak callbacks and FinalizationRegistry cleanups run between collections.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return getHeapStatistics().used_heap_size;
}
