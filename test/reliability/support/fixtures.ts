/*
 * Runs the fixtures under ../fixtures in a real Node process and turns what
 * they print back into metric collections to assert on.
 */
import { join } from 'node:path';
import type { Attributes } from '@opentelemetry/api';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { MetricsSnapshot, runFixture, type FixtureOptions } from '@connmetrics/test-harness';

export const FIXTURES = join(__dirname, '..', 'fixtures');

/** The instrumentation scope of each protocol package. */
export const SCOPES = {
  undici: '@connmetrics/instrumentation-undici',
  http: '@connmetrics/instrumentation-http',
  pg: '@connmetrics/instrumentation-pg',
  ioredis: '@connmetrics/instrumentation-ioredis',
  redis: '@connmetrics/instrumentation-redis',
  grpc: '@connmetrics/instrumentation-grpc',
  mysql2: '@connmetrics/instrumentation-mysql2',
  postgres: '@connmetrics/instrumentation-postgres',
} as const;
export type Protocol = keyof typeof SCOPES;
export const PROTOCOLS = Object.keys(SCOPES) as Protocol[];

export interface RawCollection {
  scopes: Record<string, MetricData[]>;
  errors: string[];
}

/**
 * One collection of several instrumentations. Metrics of the same name come
 * from several scopes (every package emits `connmetrics.connection.created`):
 * `of(protocol)` reads one package's, the totals add every package's.
 */
export class Collection {
  readonly errors: readonly string[];
  private readonly byScope: Map<string, MetricsSnapshot>;

  constructor(raw: RawCollection) {
    this.errors = raw.errors;
    this.byScope = new Map(Object.entries(raw.scopes).map(([scope, metrics]) => [scope, new MetricsSnapshot(metrics)]));
  }

  /** The metrics of one protocol package (empty when it recorded nothing). */
  of(protocol: Protocol): MetricsSnapshot {
    return this.byScope.get(SCOPES[protocol]) ?? new MetricsSnapshot([]);
  }

  get scopes(): string[] {
    return [...this.byScope.keys()];
  }

  sum(name: string, filter?: Attributes): number {
    let total = 0;
    for (const snapshot of this.byScope.values()) if (snapshot.metric(name)) total += snapshot.sum(name, filter);
    return total;
  }

  /** Every attribute set of every metric of every package. */
  allAttributeSets(): Array<{ scope: string; name: string; attributes: Record<string, unknown> }> {
    return [...this.byScope].flatMap(([scope, snapshot]) => snapshot.allAttributeSets().map((set) => ({ scope, ...set })));
  }
}

export interface FixtureResult<Values> {
  readonly values: Values;
  readonly collections: Collection[];
  readonly diag: ReadonlyArray<{ level: string; message: string }>;
  /** Process warnings (MaxListenersExceededWarning and the like) the fixture saw. */
  readonly warnings: readonly string[];
  readonly stderr: string;
}

export async function runScenario<Values = Record<string, unknown>>(
  file: string,
  scenario: string,
  params: Record<string, unknown> = {},
  options: Pick<FixtureOptions, 'execArgv' | 'env' | 'timeoutMs'> = {},
): Promise<FixtureResult<Values>> {
  const run = await runFixture<Values & { collections?: RawCollection[]; diag?: FixtureResult<Values>['diag']; warnings?: string[] }>(
    join(FIXTURES, file),
    { args: [scenario, JSON.stringify(params)], cwd: FIXTURES, timeoutMs: 60_000, ...options },
  );
  if (run.code !== 0 || !run.result) {
    throw new Error(`fixture ${file} ${scenario} exited with ${run.code ?? run.signal}\nstderr:\n${run.stderr}\nstdout:\n${run.stdout.slice(0, 4000)}`);
  }
  const { collections = [], diag = [], warnings = [], ...values } = run.result;
  return { values: values as unknown as Values, collections: collections.map((raw) => new Collection(raw)), diag, warnings, stderr: run.stderr };
}
