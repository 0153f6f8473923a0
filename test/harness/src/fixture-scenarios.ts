/*
 * The two sides of a package's scenario fixtures: the test runs
 * `node <dir>/<file> <scenario> [args]` and reads named metric snapshots back
 * (runScenarioFixture); the fixture enables the instrumentation on a real
 * MeterProvider, runs the scenario named by argv[2] and reports
 * (instrumentFixture, runScenario, givenDatabase).
 */
import { join } from 'node:path';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { reportFixtureResult, runFixture, type FixtureOptions } from './fixture';
import { MetricsSnapshot, TestMetrics } from './metrics';

export interface ScenarioFixtureResult<Values> {
  readonly snapshots: Readonly<Record<string, MetricsSnapshot>>;
  readonly values: Values;
  readonly stderr: string;
}

/** Runs `dir/file` with `args` (cwd `dir`); a non-zero exit or a missing RESULT line throws with the output. */
export async function runScenarioFixture<Values = Record<string, unknown>>(
  dir: string,
  file: string,
  args: string[],
  options: Pick<FixtureOptions, 'execArgv' | 'env' | 'timeoutMs'> = {},
): Promise<ScenarioFixtureResult<Values>> {
  const run = await runFixture<{ snapshots: Record<string, MetricData[]>; values: Values }>(join(dir, file), {
    args,
    execArgv: options.execArgv,
    env: options.env,
    cwd: dir,
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  if (run.code !== 0 || !run.result) {
    throw new Error(`fixture ${file} ${args[0]} exited with ${run.code ?? run.signal}\nstderr:\n${run.stderr}\nstdout:\n${run.stdout}`);
  }
  const snapshots: Record<string, MetricsSnapshot> = {};
  for (const [name, metrics] of Object.entries(run.result.snapshots)) snapshots[name] = new MetricsSnapshot(metrics);
  return { snapshots, values: run.result.values, stderr: run.stderr };
}

interface FixtureInstrumentation {
  setMeterProvider(provider: TestMetrics['meterProvider']): void;
}

/** For the fixture: enables `new Instrumentation(config)` on a fresh TestMetrics; call before the library loads. */
export function instrumentFixture<I extends FixtureInstrumentation, C>(Instrumentation: new (config: C) => I, config: C) {
  const metrics = new TestMetrics();
  const instrumentation = new Instrumentation(config);
  instrumentation.setMeterProvider(metrics.meterProvider);
  const snapshots: Record<string, readonly MetricData[]> = {};
  return {
    metrics,
    instrumentation,
    /** Collects now and keeps the collection under `name`. */
    async snapshot(name: string): Promise<void> {
      snapshots[name] = (await metrics.collect()).metrics;
    },
    report(values: unknown = {}): void {
      reportFixtureResult({ snapshots, values });
    },
  };
}

/** For the fixture: the connection settings the test passed as JSON in argv[3], over `defaults`. */
export function givenDatabase<D extends object>(defaults: D): D & Record<string, unknown> {
  const given = process.argv[3] ? (JSON.parse(process.argv[3]) as Record<string, unknown>) : {};
  return { ...defaults, ...given };
}

/** For the fixture: runs the scenario named by argv[2]; a failure exits non-zero with the error on stderr. */
export function runScenario(scenarios: Record<string, () => Promise<unknown>>): void {
  const name = process.argv[2] ?? '';
  const scenario = scenarios[name];
  if (!scenario) {
    console.error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
    process.exit(2);
  }
  scenario().then(
    // Exit once stdout is flushed: a pipe takes 64 KiB at once, the rest is written asynchronously.
    () => process.stdout.write('', () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
