// What each benchmark mode installs in its worker process, before any
// instrumented library is loaded (the upstream instrumentations patch through
// require hooks, which only see modules required after them).
//
//   off          nothing: no SDK, no instrumentation
//   floor        the hooks connmetrics uses and nothing else: the same diagnostics
//                channels subscribed with no-op handlers, the same methods wrapped
//                with pass-through bodies, no MeterProvider: what any
//                instrumentation built on these hooks must pay (see installFloor)
//   bookkeeping  the connmetrics instrumentations with a MeterProvider whose
//                histograms record nothing: connmetrics' own work (its bookkeeping,
//                its counters) without the SDK histogram recordings the metric
//                contract asks for; `connmetrics` minus this is what they cost
//   connmetrics  the connmetrics instrumentations with a MeterProvider
//   upstream     the matching @opentelemetry/instrumentation-* with a MeterProvider
//   both         all of both on one MeterProvider
//   experiment   connmetrics, changed at run time by run.mjs --experiment FILE
//
// No TracerProvider is registered: the upstream instrumentations run with the
// API's no-op tracer, the cheapest way they can run. Their cost here is a
// lower bound of what they cost in an application that also traces.
import { subscribe } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The modes a run measures by default; `both` and `experiment` on request (--modes). */
export const MODES = ['off', 'floor', 'bookkeeping', 'connmetrics', 'upstream'];
export const KNOWN_MODES = [...MODES, 'both'];

/**
 * Per protocol: the connmetrics class and the upstream class, by package and
 * export name. The floor mode derives its hooks from the connmetrics class
 * (installFloor); `floorChannels` may name channels it subscribes outside
 * channelHandlers() and socket-phase timing, if a package ever does.
 */
export const PROTOCOLS = {
  undici: {
    connmetrics: ['@connmetrics/instrumentation-undici', 'UndiciConnectionInstrumentation'],
    upstream: ['@opentelemetry/instrumentation-undici', 'UndiciInstrumentation'],
  },
  http: {
    connmetrics: ['@connmetrics/instrumentation-http', 'HttpConnectionInstrumentation'],
    upstream: ['@opentelemetry/instrumentation-http', 'HttpInstrumentation'],
  },
  pg: {
    connmetrics: ['@connmetrics/instrumentation-pg', 'PgConnectionInstrumentation'],
    upstream: ['@opentelemetry/instrumentation-pg', 'PgInstrumentation'],
  },
  ioredis: {
    connmetrics: ['@connmetrics/instrumentation-ioredis', 'IORedisConnectionInstrumentation'],
    upstream: ['@opentelemetry/instrumentation-ioredis', 'IORedisInstrumentation'],
  },
  redis: {
    connmetrics: ['@connmetrics/instrumentation-redis', 'RedisConnectionInstrumentation'],
    upstream: ['@opentelemetry/instrumentation-redis', 'RedisInstrumentation'],
  },
  mysql2: {
    connmetrics: ['@connmetrics/instrumentation-mysql2', 'MySQL2ConnectionInstrumentation'],
    upstream: ['@opentelemetry/instrumentation-mysql2', 'MySQL2Instrumentation'],
  },
  // OpenTelemetry has no instrumentation of postgres.js: its upstream mode installs nothing.
  postgres: {
    connmetrics: ['@connmetrics/instrumentation-postgres', 'PostgresConnectionInstrumentation'],
  },
};

/** A metric reader that collects only when asked (between rounds, never while measuring). */
function createReader() {
  const { MetricReader, AggregationTemporality } = require('@opentelemetry/sdk-metrics');
  class ManualReader extends MetricReader {
    constructor() {
      super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
    }
    async onForceFlush() {}
    async onShutdown() {}
  }
  return new ManualReader();
}

const NOOP_HISTOGRAM = Object.freeze({ record() {} });

/**
 * `meterProvider` with histograms that record nothing (the `bookkeeping`
 * mode): every other instrument, and every observable callback, is the SDK's.
 * One Meter per name and version, as the SDK gives (instances share per Meter).
 */
function withoutHistograms(meterProvider) {
  const meters = new Map();
  return {
    getMeter(name, version, options) {
      const key = `${name}@${version ?? ''}`;
      let meter = meters.get(key);
      if (meter === undefined) {
        const inner = meterProvider.getMeter(name, version, options);
        meter = new Proxy(inner, {
          get: (target, property) =>
            property === 'createHistogram' ? () => NOOP_HISTOGRAM : typeof target[property] === 'function' ? target[property].bind(target) : target[property],
        });
        meters.set(key, meter);
      }
      return meter;
    },
  };
}

/** The node:net channel core's socket-phase timing subscribes, once per process however many instrumentations use it (acquireSocketPhases). */
const NET_CLIENT_SOCKET = 'net.client.socket';
let socketPhasesFloor = false;
const noop = () => {};

/**
 * The floor of one connmetrics instrumentation, derived from the real one so
 * that it follows the hooks as they change: the instrumentation is created
 * (no MeterProvider: the API's no-op one) with every MethodWrap of
 * @connmetrics/core installing a pass-through wrapper instead of its own
 * (same methods, same depth: `original.apply(this, arguments)`), and
 * shimmer wraps (`_wrap`) likewise; then its channel handlers and socket-phase
 * subscription are replaced by no-op handlers on the same channels
 * (channelHandlers()' keys, `net.client.socket`). Listeners the hooks would
 * attach to sockets, pools and requests are not attached: they are the
 * instrumentation's work, not the hooks'.
 */
function installFloor(packageName, className, extraChannels = []) {
  const fromPackage = createRequire(require.resolve(packageName));
  const core = fromPackage('@connmetrics/core');
  const install = core.MethodWrap.prototype.install;
  if (!install.floor) {
    const passThrough = function (_factory) {
      return install.call(this, (original) =>
        function floorPassThrough(...args) {
          return original.apply(this, args);
        },
      );
    };
    passThrough.floor = true;
    core.MethodWrap.prototype.install = passThrough;
  }
  const Instrumentation = require(packageName)[className];
  if (typeof Instrumentation !== 'function') throw new Error(`${packageName} has no export ${className}`);
  const instrumentation = new Instrumentation(); // enabled by its constructor; patches apply when the library loads
  // shimmer wraps (InstrumentationBase's `_wrap`, an instance field): pass-through too
  const shimmerWrap = instrumentation._wrap;
  instrumentation._wrap = (target, name) =>
    shimmerWrap(target, name, (original) =>
      function floorPassThrough(...args) {
        return original.apply(this, args);
      },
    );
  // Each instrumentation subscribes its own handlers: so does its floor, one no-op per channel.
  const channels = [...new Set([...Object.keys(instrumentation.channelHandlers()), ...extraChannels])];
  instrumentation._channels?.unsubscribe();
  for (const name of channels) subscribe(name, noop);
  if (instrumentation._config?.recordSocketPhases !== false) {
    core.releaseSocketPhases(instrumentation);
    if (!socketPhasesFloor) subscribe(NET_CLIENT_SOCKET, noop);
    socketPhasesFloor = true;
    if (!channels.includes(NET_CLIENT_SOCKET)) channels.push(NET_CLIENT_SOCKET);
  }
  return { instrumentation, channels };
}

/**
 * Installs a mode for the given protocols. Returns the instrumentations by
 * protocol and family, what failed to load (a package not built yet), and a
 * `totals()` that collects every metric as name → sum (or count, for histograms).
 */
export function installMode(mode, protocols) {
  const families = {
    off: [],
    floor: ['floor'],
    bookkeeping: ['connmetrics'],
    connmetrics: ['connmetrics'],
    upstream: ['upstream'],
    both: ['connmetrics', 'upstream'],
    experiment: ['connmetrics'],
  }[mode];
  if (!families) throw new Error(`unknown mode ${mode}`);
  const instrumentations = {};
  const floors = {};
  const failures = [];
  let reader;
  let meterProvider;
  if (families.some((family) => family !== 'floor')) {
    const { MeterProvider } = require('@opentelemetry/sdk-metrics');
    reader = createReader();
    meterProvider = new MeterProvider({ readers: [reader] });
    if (mode === 'bookkeeping') meterProvider = withoutHistograms(meterProvider);
  }
  for (const family of families) {
    for (const protocol of protocols) {
      const entry = PROTOCOLS[protocol][family === 'floor' ? 'connmetrics' : family];
      if (!entry) continue; // no upstream instrumentation exists for this library
      const [packageName, className] = entry;
      try {
        if (family === 'floor') {
          const floor = installFloor(packageName, className, PROTOCOLS[protocol].floorChannels);
          (instrumentations[protocol] ??= {}).floor = floor.instrumentation;
          floors[protocol] = floor.channels;
          continue;
        }
        const Instrumentation = require(packageName)[className];
        if (typeof Instrumentation !== 'function') throw new Error(`${packageName} has no export ${className}`);
        const instrumentation = new Instrumentation();
        instrumentation.setMeterProvider(meterProvider); // enabled by its constructor
        (instrumentations[protocol] ??= {})[family] = instrumentation;
      } catch (error) {
        failures.push({ protocol, family, packageName, error: String(error?.message ?? error).split('\n')[0] });
      }
    }
  }
  return {
    instrumentations,
    /** Per protocol, the channels the floor subscribed. */
    floors,
    failures,
    async totals() {
      if (!reader) return {};
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new AggregateError(errors, 'metric collection failed');
      const totals = {};
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          let total = 0;
          for (const point of metric.dataPoints) {
            total += typeof point.value === 'number' ? point.value : point.value.count;
          }
          const name = metric.descriptor.name;
          totals[name] = (totals[name] ?? 0) + total;
        }
      }
      return totals;
    },
  };
}
