/*
 * Shared attribute sets. Most connections of a process share a handful of
 * attribute sets (one per server), yet each connection builds its own. A
 * shared set is one object for every connection of its server, so that what
 * is derived from it (its series in each observable counter, the set with a
 * close reason, a protocol version or an `error.type` added) is resolved once
 * per set rather than once per connection: resolving a set by its content
 * means sorting its names, in connmetrics as in the SDK.
 *
 * Shared sets are frozen: no connection can change a set the others use.
 * Bounded: at most MAX_SETS sets are shared by content (the table starts
 * over when full: sets in use stay valid, and an equal set made later gets
 * a new shared object), at most MAX_DERIVED derived sets per set (past it a
 * derived set is a plain object built per call), and a set's own caches go
 * with it (held weakly).
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { attributesKey } from './attributes';
import type { CounterSeries, SeriesCounter } from './series-counter';

/** About the SDK's default cardinality limit: past it, new sets land in the overflow series anyway. */
const MAX_SETS = 2048;
const MAX_DERIVED = 256;

/** What is derived from one shared set, resolved on first need. */
interface Derivations {
  /** The set with one more attribute, by name then value (no key string to build: 443 and '443' stay apart). */
  sets: Map<string, Map<AttributeValue, Attributes>> | undefined;
  /** How many sets `sets` holds. */
  count: number;
  /** Its series in each counter (counters change with the MeterProvider: held weakly). */
  series: WeakMap<SeriesCounter, CounterSeries> | undefined;
}

const derivations = new WeakMap<Attributes, Derivations>();
let byContent = new Map<string, Attributes>();

function share(attributes: Attributes): Attributes {
  const frozen = Object.freeze(attributes);
  derivations.set(frozen, { sets: undefined, count: 0, series: undefined });
  return frozen;
}

/** Whether `attributes` is a shared set (every connection of its server holds this very object). */
export function isSharedAttributes(attributes: Attributes): boolean {
  return derivations.has(attributes);
}

/**
 * The shared set equal to `attributes`: an earlier equal one, or
 * `attributes` itself, frozen, from now on. Costs one content key.
 */
export function sharedAttributes(attributes: Attributes): Attributes {
  if (derivations.has(attributes)) return attributes;
  const key = attributesKey(attributes);
  const known = byContent.get(key);
  if (known !== undefined) return known;
  if (byContent.size >= MAX_SETS) byContent = new Map();
  const set = share(attributes);
  byContent.set(key, set);
  return set;
}

/**
 * `base` with `name` set to `value`: for a shared base, one shared set per
 * (base, name, value); otherwise a new plain object.
 */
export function withAttribute(base: Attributes, name: string, value: AttributeValue): Attributes {
  const derived = derivations.get(base);
  if (derived === undefined || typeof value === 'object') return { ...base, [name]: value };
  const sets = (derived.sets ??= new Map());
  let byValue = sets.get(name);
  const known = byValue?.get(value);
  if (known !== undefined) return known;
  if (derived.count >= MAX_DERIVED) return { ...base, [name]: value };
  if (byValue === undefined) sets.set(name, (byValue = new Map()));
  const set = share({ ...base, [name]: value });
  byValue.set(value, set);
  derived.count += 1;
  return set;
}

/** The series of `attributes` in `counter`: resolved once per shared set and counter, by content otherwise. */
export function seriesIn(counter: SeriesCounter, attributes: Attributes): CounterSeries {
  const derived = derivations.get(attributes);
  if (derived === undefined) return counter.seriesOf(attributes);
  let series = derived.series?.get(counter);
  if (series === undefined) (derived.series ??= new WeakMap()).set(counter, (series = counter.seriesOf(attributes)));
  return series;
}
