/*
 * `engines` declares the real minimum Node.js of every package: at least what
 * its OpenTelemetry dependencies need, and a release of each line that
 * publishes every built-in diagnostics channel the package reads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { missingNodeSupport } from '../../core/src/node-support';
import { getConnectionInstrumentations } from '../src';

const PACKAGES = join(__dirname, '..', '..');

function manifest(directory: string): { name: string; engines?: { node?: string }; dependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(join(PACKAGES, directory, 'package.json'), 'utf8'));
}

/** The lowest release each `||` alternative of a range allows (`^22.17.0 || >=24.2.0` → 22.17.0, 24.2.0). */
function minimums(range: string): string[] {
  return range.split('||').map((part) => /(\d+\.\d+\.\d+)/.exec(part)?.[1] ?? 'unparsed');
}

const directories = ['core', 'auto', 'instrumentation-undici', 'instrumentation-http', 'instrumentation-pg', 'instrumentation-ioredis', 'instrumentation-grpc', 'instrumentation-mysql2', 'instrumentation-postgres'];

test.each(directories)('%s: engines is at least what @opentelemetry/instrumentation and sdk-metrics need', (directory) => {
  for (const minimum of minimums(manifest(directory).engines?.node ?? '')) expect(missingNodeSupport([], minimum)).toEqual([]);
});

test('each instrumentation: every built-in channel it reads exists at the minimum its package declares', () => {
  const byName = new Map(directories.map((directory) => [manifest(directory).name, manifest(directory)]));
  const instrumentations = getConnectionInstrumentations();
  expect(instrumentations).toHaveLength(directories.length - 2); // every package but core and auto
  for (const instrumentation of instrumentations) {
    const channels = (instrumentation as unknown as { requiredChannels(): string[] }).requiredChannels();
    const range = byName.get(instrumentation.instrumentationName)?.engines?.node ?? '';
    for (const minimum of minimums(range)) {
      expect({ name: instrumentation.instrumentationName, minimum, missing: missingNodeSupport(channels, minimum) }).toEqual({
        name: instrumentation.instrumentationName,
        minimum,
        missing: [],
      });
    }
    instrumentation.disable();
  }
});
