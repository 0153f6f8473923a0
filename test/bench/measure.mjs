// One measured round: a closed loop of `concurrency` callers, each running
// `op` back to back until the deadline. Records throughput, per-operation
// latency, CPU time (process.cpuUsage: every thread of the process) and heap
// bytes allocated (heap used at the end minus at the start, plus what every
// GC in between freed, from v8.GCProfiler).
import { performance } from 'node:perf_hooks';
import { GCProfiler, getHeapStatistics } from 'node:v8';

/** Latency samples of one round, in milliseconds; preallocated so recording them allocates nothing. */
const MAX_SAMPLES = 1 << 21;
const samples = new Float64Array(MAX_SAMPLES);

/** Runs `op` in `concurrency` loops until `durationMs` have passed. Returns the number of operations. */
export async function runLoops(op, concurrency, durationMs, record = false) {
  const deadline = performance.now() + durationMs;
  let count = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      const start = performance.now();
      await op();
      if (record && count < MAX_SAMPLES) samples[count] = performance.now() - start;
      count += 1;
    }
  };
  const loops = [];
  for (let i = 0; i < concurrency; i++) loops.push(loop());
  await Promise.all(loops);
  return count;
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index];
}

/** A measured round. */
export async function measureRound(op, concurrency, durationMs) {
  const profiler = new GCProfiler();
  profiler.start();
  const heapBefore = getHeapStatistics().used_heap_size;
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  const ops = await runLoops(op, concurrency, durationMs, true);
  const elapsedMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuBefore);
  const heapAfter = getHeapStatistics().used_heap_size;
  const gc = profiler.stop();
  let freed = 0;
  for (const event of gc?.statistics ?? []) {
    freed += event.beforeGC.heapStatistics.usedHeapSize - event.afterGC.heapStatistics.usedHeapSize;
  }
  const latencies = samples.slice(0, Math.min(ops, MAX_SAMPLES)).sort();
  return {
    ops,
    elapsedMs,
    opsPerSec: (ops / elapsedMs) * 1000,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    cpuUsPerOp: (cpu.user + cpu.system) / ops,
    userCpuUsPerOp: cpu.user / ops,
    heapBytesPerOp: (heapAfter - heapBefore + freed) / ops,
    gcCount: gc?.statistics?.length ?? 0,
  };
}
