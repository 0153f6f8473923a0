import { OPEN, instrumented as wire, waitFor, type MetricsSnapshot } from '@connmetrics/test-harness';
import { GrpcConnectionInstrumentation } from '../src';
import type { GrpcConnectionInstrumentationConfig } from '../src';

/** An enabled instrumentation reading into its own MeterProvider; `stop()` in afterEach. */
export const instrumented = (config: GrpcConnectionInstrumentationConfig = {}) => wire(new GrpcConnectionInstrumentation(config));

export { CREATED, REUSED, FAILED, CONNECT, TLS, DNS, OPEN, LIFETIME, nextTick } from '@connmetrics/test-harness';

/** The open connections gauge as { active, idle }. */
export function openConnections(snapshot: MetricsSnapshot, filter = {}) {
  return {
    active: snapshot.sum(OPEN, { ...filter, 'http.connection.state': 'active' }),
    idle: snapshot.sum(OPEN, { ...filter, 'http.connection.state': 'idle' }),
  };
}

/** The attributes a gRPC connection to 127.0.0.1:port carries on every metric. */
export function grpcConnection(port: number, address = '127.0.0.1') {
  return {
    'network.protocol.name': 'grpc',
    'network.protocol.version': '2',
    'server.address': address,
    'server.port': port,
  };
}

/**
 * Waits until the gauge shows exactly `expected`. A call ends for the
 * application when its status arrives; its HTTP/2 stream closes a moment
 * later, and only then is the connection idle.
 */
export async function gaugeSettles(
  metrics: { collect(): Promise<MetricsSnapshot> },
  expected: { active: number; idle: number },
  filter = {},
) {
  let last: { active: number; idle: number } | undefined;
  await waitFor(async () => {
    last = openConnections(await metrics.collect(), filter);
    return last.active === expected.active && last.idle === expected.idle;
  }, `open connections ${JSON.stringify(expected)}`).catch((error: Error) => {
    throw new Error(`${error.message}; last seen ${JSON.stringify(last)}`);
  });
}

