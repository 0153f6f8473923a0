/*
 * The global MeterProvider of the OpenTelemetry API: whether an SDK has
 * registered one, and a passive watch for one being registered later.
 *
 * connmetrics' own pipeline is never registered as the global provider: an
 * SDK started after it (@opentelemetry/auto-instrumentations-node/register,
 * or the application's own NodeSDK) must be able to register its provider
 * normally. To notice that moment exactly, the `metrics` slot of the API's
 * global object (shared by every copy of @opentelemetry/api 1.x under a
 * well-known symbol) becomes an accessor until the first registration, then a
 * plain property again. The API's own checks (duplicate registration, version
 * match) run unchanged.
 */
import { metrics, type MeterProvider } from '@opentelemetry/api';

/** The key @opentelemetry/api 1.x keeps its globals under. */
const API_GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

type GlobalApi = Record<string, unknown>;
type GlobalHolder = { [API_GLOBAL_KEY]?: GlobalApi };

function globalApi(): GlobalApi | undefined {
  return (globalThis as GlobalHolder)[API_GLOBAL_KEY];
}

/** The MeterProvider an SDK registered with the API, if one did. */
export function registeredMeterProvider(): MeterProvider | undefined {
  const registered = globalApi()?.['metrics'];
  if (!registered) return undefined;
  // Through the API, so that a provider of an incompatible API version (which
  // the API itself ignores) is ignored here too.
  const provider = metrics.getMeterProvider();
  return provider === registered ? provider : undefined;
}

/**
 * Calls `onRegistered` (once, synchronously, guarded) when a MeterProvider is
 * registered with the API. Returns a function that stops watching.
 */
export function watchMeterProviderRegistration(onRegistered: (provider: MeterProvider) => void): () => void {
  let stopped = false;
  const notify = (provider: unknown) => {
    if (stopped || !provider) return;
    stopped = true;
    try {
      onRegistered(provider as MeterProvider);
    } catch {
      // Never let a registration fail because of us.
    }
  };
  const holder = globalThis as GlobalHolder;
  const api = holder[API_GLOBAL_KEY];
  if (api) {
    const undo = watchSlot(api, notify);
    return () => {
      stopped = true;
      undo();
    };
  }
  // No SDK has touched the API yet: wait for its global object to be created
  // (by the first registration of anything), then watch its `metrics` slot.
  let undoSlot: () => void = () => {};
  const descriptor = { configurable: true, enumerable: false };
  Object.defineProperty(holder, API_GLOBAL_KEY, {
    ...descriptor,
    get: () => undefined,
    set(created: GlobalApi) {
      Object.defineProperty(holder, API_GLOBAL_KEY, { value: created, writable: true, configurable: true, enumerable: true });
      if (created && typeof created === 'object' && !stopped) undoSlot = watchSlot(created, notify);
    },
  });
  return () => {
    stopped = true;
    const current = Object.getOwnPropertyDescriptor(holder, API_GLOBAL_KEY);
    if (current && 'get' in current) delete holder[API_GLOBAL_KEY];
    undoSlot();
  };
}

/** Turns `api.metrics` into an accessor until it is first assigned. */
function watchSlot(api: GlobalApi, notify: (provider: unknown) => void): () => void {
  const existing = Object.getOwnPropertyDescriptor(api, 'metrics');
  if (existing && (existing.value !== undefined || 'get' in existing || !existing.configurable)) return () => {};
  if (!Object.isExtensible(api)) return () => {};
  const restore = (value: unknown) =>
    Object.defineProperty(api, 'metrics', { value, writable: true, configurable: true, enumerable: true });
  Object.defineProperty(api, 'metrics', {
    configurable: true,
    enumerable: true,
    get: () => undefined,
    set(value: unknown) {
      restore(value);
      notify(value);
    },
  });
  return () => {
    const current = Object.getOwnPropertyDescriptor(api, 'metrics');
    if (current && 'get' in current) delete api['metrics'];
  };
}
