// Summaries of the rounds of one scenario. Overheads are paired: each mode's
// round is compared with the `off` round of the same round number (they ran
// within a second of each other), and the median of those ratios is reported,
// so that drift of the machine across the run cancels. Rounds come from
// several generations of worker processes; the spread of the per-generation
// medians shows how much a process's own luck (JIT decisions, memory layout)
// moves the result, which the spread of rounds within one process hides.

export function quantile(values, fraction) {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * fraction;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

export const median = (values) => quantile(values, 0.5);

/** Coefficient of variation in % (standard deviation / mean). */
export function variationPct(values) {
  if (values.length < 2) return NaN;
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1);
  return (Math.sqrt(variance) / mean) * 100;
}

/**
 * @param rounds mode → per-round results (same round order for every mode)
 * @returns mode → summary
 */
export function summarise(rounds, baselineMode = 'off', floorMode = 'floor') {
  const baseline = rounds[baselineMode];
  const floor = rounds[floorMode];
  const summary = {};
  for (const [mode, results] of Object.entries(rounds)) {
    const pick = (key) => results.map((result) => result[key]);
    const entry = {
      rounds: results.length,
      opsPerSec: median(pick('opsPerSec')),
      opsPerSecVariationPct: variationPct(pick('opsPerSec')),
      p50Ms: median(pick('p50Ms')),
      p99Ms: median(pick('p99Ms')),
      cpuUsPerOp: median(pick('cpuUsPerOp')),
      userCpuUsPerOp: median(pick('userCpuUsPerOp')),
      heapBytesPerOp: median(pick('heapBytesPerOp')),
    };
    if (baseline && mode !== baselineMode) {
      const paired = results.map((result, index) => ({ result, off: baseline[index] })).filter(({ off }) => off);
      const overheads = paired.map(({ result, off }) => (1 - result.opsPerSec / off.opsPerSec) * 100);
      const cpuDeltas = paired.map(({ result, off }) => result.cpuUsPerOp - off.cpuUsPerOp);
      const userCpuDeltas = paired.map(({ result, off }) => result.userCpuUsPerOp - off.userCpuUsPerOp);
      const heapDeltas = paired.map(({ result, off }) => result.heapBytesPerOp - off.heapBytesPerOp);
      const generations = [...new Set(paired.map(({ result }) => result.generation ?? 0))];
      const byGeneration = generations.map((generation) =>
        median(overheads.filter((_, index) => (paired[index].result.generation ?? 0) === generation)),
      );
      Object.assign(entry, {
        overheadPct: median(overheads),
        overheadPctByGeneration: byGeneration,
        overheadPctQ1: quantile(overheads, 0.25),
        overheadPctQ3: quantile(overheads, 0.75),
        cpuUsPerOpDelta: median(cpuDeltas),
        userCpuUsPerOpDelta: median(userCpuDeltas),
        heapBytesPerOpDelta: median(heapDeltas),
      });
    }
    if (floor && mode !== baselineMode && mode !== floorMode) {
      // What the mode costs beyond the hooks themselves, paired with the floor's round of the same number.
      const paired = results.map((result, index) => ({ result, floor: floor[index] })).filter(({ floor: other }) => other);
      entry.cpuUsPerOpAboveFloor = median(paired.map(({ result, floor: other }) => result.cpuUsPerOp - other.cpuUsPerOp));
      entry.heapBytesPerOpAboveFloor = median(paired.map(({ result, floor: other }) => result.heapBytesPerOp - other.heapBytesPerOp));
    }
    summary[mode] = entry;
  }
  return summary;
}
