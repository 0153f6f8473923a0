import { instrumented as wire } from '@connmetrics/test-harness';
import { UndiciConnectionInstrumentation, type UndiciConnectionInstrumentationConfig } from '../src';

export { CREATED, REUSED, FAILED, CONNECT, TLS, DNS, OPEN, LIFETIME, QUEUE, nextTick } from '@connmetrics/test-harness';

/** An enabled instrumentation reading into its own MeterProvider; `stop()` in afterEach. */
export const instrumented = (config: UndiciConnectionInstrumentationConfig = {}) =>
  wire(new UndiciConnectionInstrumentation(config));
