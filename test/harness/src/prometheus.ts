/*
 * A real Prometheus server (the `prometheus` binary: Debian's package;
 * test/setup-services.mjs installs it) on a free loopback port, with a temporary
 * configuration and data directory, scraping the given targets. Fails loudly
 * when Prometheus is not installed: tests never skip.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports';

export interface PrometheusSample {
  /** Labels, `__name__` included. */
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PrometheusServer {
  readonly url: string;
  /** An instant query through the HTTP API (`/api/v1/query`). */
  query(promql: string): Promise<PrometheusSample[]>;
  /** Polls `promql` until `accept` holds for its samples; returns them. */
  waitForQuery(promql: string, accept: (samples: PrometheusSample[]) => boolean, timeoutMs?: number): Promise<PrometheusSample[]>;
  /** The scrape targets' health, as Prometheus reports it (`/api/v1/targets`). */
  targets(): Promise<Array<{ scrapeUrl: string; health: string; lastError: string }>>;
  close(): Promise<void>;
}

export interface PrometheusOptions {
  /** `host:port` of each endpoint to scrape at `/metrics`. */
  targets: string[];
  /** Scrape interval in milliseconds (default 500). */
  scrapeIntervalMs?: number;
}

/** The prometheus binary: PROMETHEUS_BIN, else `prometheus` on the PATH. */
export function prometheusBinary(): string {
  const binary = process.env.PROMETHEUS_BIN ?? 'prometheus';
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `Prometheus is not installed (${binary} --version failed: ${probe.error?.message ?? probe.stderr}). ` +
        '`pnpm test` installs it when it runs as root or with sudo (test/setup-services.mjs); otherwise run `sudo apt-get install prometheus`, or set PROMETHEUS_BIN.',
    );
  }
  return binary;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'connmetrics-prometheus-'));
  const interval = `${options.scrapeIntervalMs ?? 500}ms`;
  const config = [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
    'scrape_configs:',
    '  - job_name: app',
    '    static_configs:',
    `      - targets: [${options.targets.map((target) => `'${target}'`).join(', ')}]`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const close = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready when /-/ready answers 200.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      await close();
      throw new Error(`Prometheus exited during startup:\n${stderr}`);
    }
    try {
      const response = await fetch(`${url}/-/ready`);
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`Prometheus did not become ready within 30 s:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const query = async (promql: string): Promise<PrometheusSample[]> => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    if (body.status !== 'success' || !body.data) throw new Error(`Prometheus query ${promql} failed: ${body.error ?? response.status}`);
    return body.data.result.map((sample) => ({ labels: sample.metric, value: Number(sample.value[1]) }));
  };

  const server: PrometheusServer = {
    url,
    query,
    async waitForQuery(promql, accept, timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      let last: PrometheusSample[] = [];
      for (;;) {
        last = await query(promql);
        if (accept(last)) return last;
        if (Date.now() > until) {
          const targets = await server.targets().catch(() => []);
          throw new Error(
            `timed out waiting for ${promql}; last result ${JSON.stringify(last)}; targets ${JSON.stringify(targets)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async targets() {
      const response = await fetch(`${url}/api/v1/targets`);
      const body = (await response.json()) as { data: { activeTargets: Array<{ scrapeUrl: string; health: string; lastError: string }> } };
      return body.data.activeTargets.map(({ scrapeUrl, health, lastError }) => ({ scrapeUrl, health, lastError }));
    },
    close,
  };
  return server;
}
