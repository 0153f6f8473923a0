import { diag, type Meter, type ObservableUpDownCounter } from '@opentelemetry/api';
import { ConnectionInstrumentationBase } from './base';
import type { ConnectionState } from './connection-tracker';
import { reportFailure } from './guard';
import { sharedPerMeter } from './guarded-meter';
import { createHttpConnectionInstruments, type HttpConnectionInstruments } from './instruments';
import { OpenConnectionsObserver } from './open-connections';
import { ATTR_HTTP_CONNECTION_STATE, HTTP_CONNECTION_STATE_ACTIVE, HTTP_CONNECTION_STATE_IDLE } from './semconv';
import type { ConnectionInstrumentationConfig } from './types';

/** The open connections of one instance, read at each collection. */
type OpenConnections = () => Iterable<ConnectionState>;

/**
 * `http.client.open_connections` of one SDK Meter: one batch callback that
 * counts the open connections of every instance on the MeterProvider
 * together (each instance holds only the connections it claimed), so that
 * connections of one server held by two instances add up to one series
 * instead of two observations of which the SDK keeps one. Shared by every
 * copy of core; entries keep `add()`/`delete()` while the key ends in `.v1`.
 */
interface SharedOpenConnections {
  add(instance: OpenConnections): void;
  delete(instance: OpenConnections): void;
}

const REGISTRY = Symbol.for('connmetrics.core.http-open-connections.v1');
const logger = diag.createComponentLogger({ namespace: '@connmetrics/core' });

function sharedOpenConnections(meter: Meter, instrument: ObservableUpDownCounter): SharedOpenConnections {
  return sharedPerMeter(REGISTRY, meter, () => openConnectionsOf(meter, instrument));
}

function openConnectionsOf(meter: Meter, instrument: ObservableUpDownCounter): SharedOpenConnections {
  const instances = new Set<OpenConnections>();
  const observer = new OpenConnectionsObserver(ATTR_HTTP_CONNECTION_STATE, HTTP_CONNECTION_STATE_ACTIVE, HTTP_CONNECTION_STATE_IDLE, (state) => state.attributes);
  function* all(): Generator<ConnectionState> {
    for (const instance of instances) {
      let states: Iterable<ConnectionState>;
      try {
        states = instance();
      } catch (error) {
        reportFailure(logger, 'observe open connections', error);
        continue;
      }
      yield* states;
    }
  }
  meter.addBatchObservableCallback((result) => {
    try {
      observer.observe(result, instrument, all());
    } catch (error) {
      reportFailure(logger, 'observe open connections', error);
    }
  }, [instrument]);
  return { add: (instance) => void instances.add(instance), delete: (instance) => void instances.delete(instance) };
}

/**
 * Base of the HTTP client instrumentations (undici, node:http, HTTP/2 and
 * gRPC): adds the HTTP instruments and reports `http.client.open_connections`
 * by `http.connection.state`, for every instance on a MeterProvider from one
 * batch observable callback.
 */
export abstract class HttpClientInstrumentationBase<
  Config extends ConnectionInstrumentationConfig = ConnectionInstrumentationConfig,
> extends ConnectionInstrumentationBase<Config> {
  declare protected _httpInstruments: HttpConnectionInstruments;
  declare private _openConnections: { readonly shared: SharedOpenConnections; readonly read: OpenConnections } | undefined;

  /**
   * The connections open now, as the gauge should count them: `active` while
   * `inFlight > 0`, `idle` otherwise. Called at each collection.
   */
  protected abstract openConnectionStates(): Iterable<ConnectionState>;

  protected override _updateMetricInstruments(): void {
    super._updateMetricInstruments();
    this._httpInstruments = createHttpConnectionInstruments(this.meter);
    // Leaves the gauge of the previous MeterProvider, joins this one's.
    const read = this._openConnections?.read ?? (() => this.openConnectionStates());
    this._openConnections?.shared.delete(read);
    const shared = sharedOpenConnections(this.meter, this._httpInstruments.openConnections);
    shared.add(read);
    this._openConnections = { shared, read };
  }
}
