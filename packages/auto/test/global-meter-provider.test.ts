/*
 * The global MeterProvider slot of @opentelemetry/api: noticing one that is
 * registered, and one registered later, without changing how registration
 * works for the SDK that registers.
 */
import { metrics, type MeterProvider } from '@opentelemetry/api';
import { MeterProvider as SdkMeterProvider } from '@opentelemetry/sdk-metrics';
import { registeredMeterProvider, watchMeterProviderRegistration } from '../src/global-meter-provider';

const API_GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');
const holder = globalThis as { [API_GLOBAL_KEY]?: Record<string, unknown> };

let stop: () => void = () => {};

afterEach(() => {
  stop();
  stop = () => {};
  metrics.disable();
});

test('no registered provider: undefined; a registered one: that provider', () => {
  expect(registeredMeterProvider()).toBeUndefined();
  const provider = new SdkMeterProvider();
  expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
  expect(registeredMeterProvider()).toBe(provider);
});

test.each([
  ['the API global object already exists', true],
  ['nothing has touched the API yet', false],
])('a provider registered later is reported once, and registration works as before (%s)', (_name, apiExists) => {
  if (apiExists) {
    // Any registration creates the global object; take the metrics slot out again.
    metrics.setGlobalMeterProvider(new SdkMeterProvider());
    metrics.disable();
    expect(holder[API_GLOBAL_KEY]).toBeDefined();
  } else {
    delete holder[API_GLOBAL_KEY];
  }
  const seen: MeterProvider[] = [];
  stop = watchMeterProviderRegistration((provider) => seen.push(provider));
  expect(registeredMeterProvider()).toBeUndefined();
  expect(seen).toEqual([]);

  const provider = new SdkMeterProvider();
  expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
  expect(seen).toEqual([provider]);
  expect(metrics.getMeterProvider()).toBe(provider);
  // Back to a plain property: a duplicate registration is refused as usual.
  const descriptor = Object.getOwnPropertyDescriptor(holder[API_GLOBAL_KEY]!, 'metrics');
  expect(descriptor).toEqual({ value: provider, writable: true, enumerable: true, configurable: true });
  expect(metrics.setGlobalMeterProvider(new SdkMeterProvider())).toBe(false);
  expect(seen).toEqual([provider]);
});

test('a provider registered before watching is not reported (it is found by registeredMeterProvider)', () => {
  const provider = new SdkMeterProvider();
  metrics.setGlobalMeterProvider(provider);
  const seen: MeterProvider[] = [];
  stop = watchMeterProviderRegistration((registered) => seen.push(registered));
  expect(seen).toEqual([]);
  expect(registeredMeterProvider()).toBe(provider);
});

test('after stop() nothing is reported and the slot is plain again', () => {
  const seen: MeterProvider[] = [];
  const stopWatching = watchMeterProviderRegistration((provider) => seen.push(provider));
  stopWatching();
  expect(metrics.setGlobalMeterProvider(new SdkMeterProvider())).toBe(true);
  expect(seen).toEqual([]);
  expect('get' in Object.getOwnPropertyDescriptor(holder[API_GLOBAL_KEY]!, 'metrics')!).toBe(false);
});

test('a callback that throws does not break the registration', () => {
  stop = watchMeterProviderRegistration(() => {
    throw new Error('broken');
  });
  const provider = new SdkMeterProvider();
  expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
  expect(metrics.getMeterProvider()).toBe(provider);
});

test('metrics.disable() while watching removes the watch with the slot', () => {
  const seen: MeterProvider[] = [];
  stop = watchMeterProviderRegistration((provider) => seen.push(provider));
  metrics.disable();
  expect(metrics.setGlobalMeterProvider(new SdkMeterProvider())).toBe(true);
  expect(seen).toEqual([]);
});
