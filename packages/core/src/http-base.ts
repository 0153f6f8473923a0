import { ConnectionInstrumentationBase } from './base';
import type { ConnectionState } from './connection-tracker';
import { createHttpConnectionInstruments, type HttpConnectionInstruments } from './instruments';
import { OpenConnectionsObserver } from './open-connections';
import { ATTR_HTTP_CONNECTION_STATE, HTTP_CONNECTION_STATE_ACTIVE, HTTP_CONNECTION_STATE_IDLE } from './semconv';
import type { ConnectionInstrumentationConfig } from './types';

/**
 * Base of the HTTP client instrumentations (undici, node:http, HTTP/2 and
 * gRPC): adds the HTTP instruments and reports `http.client.open_connections`
 * by `http.connection.state` from one batch observable callback.
 */
export abstract class HttpClientInstrumentationBase<
  Config extends ConnectionInstrumentationConfig = ConnectionInstrumentationConfig,
> extends ConnectionInstrumentationBase<Config> {
  declare protected _httpInstruments: HttpConnectionInstruments;
  declare private _openConnectionsObserver: OpenConnectionsObserver | undefined;

  /**
   * The connections open now, as the gauge should count them: `active` while
   * `inFlight > 0`, `idle` otherwise. Called at each collection.
   */
  protected abstract openConnectionStates(): Iterable<ConnectionState>;

  protected override _updateMetricInstruments(): void {
    super._updateMetricInstruments();
    this._httpInstruments = createHttpConnectionInstruments(this.meter);
    const openConnections = this._httpInstruments.openConnections;
    this.meter.addBatchObservableCallback((result) => {
      this.guarded('observe open connections', () => {
        this._openConnectionsObserver ??= new OpenConnectionsObserver(
          ATTR_HTTP_CONNECTION_STATE,
          HTTP_CONNECTION_STATE_ACTIVE,
          HTTP_CONNECTION_STATE_IDLE,
          (state) => state.attributes,
        );
        this._openConnectionsObserver.observe(result, openConnections, this.openConnectionStates());
      });
    }, [openConnections]);
  }
}
