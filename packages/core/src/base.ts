import type { Attributes } from '@opentelemetry/api';
import {
  InstrumentationBase,
  safeExecuteInTheMiddle,
  type InstrumentationModuleDefinition,
} from '@opentelemetry/instrumentation';
import { ChannelSubscriptions, type ChannelHandlers } from './channels';
import { HookRunner, reportFailure } from './guard';
import { createConnectionInstruments, type ConnectionInstruments } from './instruments';
import { ATTR_NETWORK_PEER_ADDRESS, ATTR_NETWORK_PROTOCOL_NAME, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from './semconv';
import type { TLSSocket } from 'node:tls';
import {
  acquireSocketPhases,
  claimNextSocketPhases,
  claimSocketPhases,
  releaseSocketPhases,
  timeTlsUpgrade,
  type PhaseTarget,
} from './socket-phases';
import type { ConnectionInstrumentationConfig } from './types';

/**
 * Base of every connmetrics instrumentation: the common instruments, the
 * diagnostics channel subscriptions of the protocol, and socket phase timing,
 * all switched on and off together by enable() and disable().
 *
 * Subclass fields that enable() relies on must be declared with `declare`
 * and created lazily: the base constructor calls enable() before a subclass
 * constructor body runs.
 */
export abstract class ConnectionInstrumentationBase<
  Config extends ConnectionInstrumentationConfig = ConnectionInstrumentationConfig,
> extends InstrumentationBase<Config> {
  declare protected _connectionInstruments: ConnectionInstruments;
  declare private _channels: ChannelSubscriptions | undefined;
  declare private _hookRunner: HookRunner | undefined;

  /** `network.protocol.name` of this instrumentation's connections. */
  protected abstract readonly protocolName: string;

  /** The diagnostics channels of the protocol, each with its handler. */
  protected abstract channelHandlers(): ChannelHandlers;

  /** Module patches, for libraries with no diagnostics channel; none by default. */
  protected init(): InstrumentationModuleDefinition[] {
    return [];
  }

  protected override _updateMetricInstruments(): void {
    this._connectionInstruments = createConnectionInstruments(this.meter);
  }

  override enable(): void {
    super.enable();
    if (this._config.recordSocketPhases !== false) acquireSocketPhases(this);
    this._channels ??= new ChannelSubscriptions(this.channelHandlers(), this._diag);
    this._channels.subscribe();
  }

  override disable(): void {
    super.disable();
    this._channels?.unsubscribe();
    releaseSocketPhases(this);
    this.onDisabled();
  }

  override setConfig(config: Config): void {
    super.setConfig(config);
    if (!this._enabled) return;
    if (config.recordSocketPhases === false) releaseSocketPhases(this);
    else acquireSocketPhases(this);
  }

  /**
   * Runs a hook that is not a channel handler (a socket or pool event
   * listener, an observable callback) so that nothing it throws escapes;
   * the first failure of each named hook is logged through diag.
   */
  protected guarded(name: string, hook: () => void): void {
    (this._hookRunner ??= new HookRunner(() => this._diag)).run(name, hook);
  }

  /** Drops per-connection state when disabled; subclasses extend it. */
  protected onDisabled(): void {}

  /**
   * The attributes of a connection: protocol, server address and port, the
   * peer address when configured, and what the user's hook adds.
   */
  protected connectionAttributes(
    serverAddress: string | undefined,
    serverPort: number | undefined,
    extra?: Attributes,
    peerAddress?: string,
  ): Attributes {
    const attributes: Attributes = { [ATTR_NETWORK_PROTOCOL_NAME]: this.protocolName };
    if (serverAddress !== undefined) attributes[ATTR_SERVER_ADDRESS] = serverAddress;
    if (serverPort !== undefined) attributes[ATTR_SERVER_PORT] = serverPort;
    if (extra) Object.assign(attributes, extra);
    if (peerAddress && this._config.recordPeerAddress) attributes[ATTR_NETWORK_PEER_ADDRESS] = peerAddress;
    const hook = this._config.connectionAttributes;
    if (hook) {
      const added = safeExecuteInTheMiddle(
        () => hook({ protocol: this.protocolName, serverAddress, serverPort }),
        (error) => {
          if (error) reportFailure(this._diag, 'connectionAttributes (user hook)', error);
        },
        true,
      );
      if (added && typeof added === 'object') {
        for (const [key, value] of Object.entries(added)) if (!(key in attributes)) attributes[key] = value;
      }
    }
    return attributes;
  }

  /** A phase target that records through this instrumentation's instruments. */
  protected phaseTarget(attributes: Attributes): PhaseTarget {
    const self = this;
    return {
      attributes,
      get instruments() {
        return self._connectionInstruments;
      },
    };
  }

  /** Claims a socket's DNS, TCP and TLS phases for a connection. */
  protected claimSocket(socket: object, attributes: Attributes): boolean {
    if (this._config.recordSocketPhases === false) return false;
    return claimSocketPhases(socket, this.phaseTarget(attributes));
  }

  /** Claims the socket that the library is about to create in this synchronous run. */
  protected claimNextSocket(attributes: Attributes): void {
    if (this._config.recordSocketPhases === false) return;
    claimNextSocketPhases(this.phaseTarget(attributes));
  }

  /** Times TLS started on an already connected socket (e.g. after PostgreSQL's SSLRequest). */
  protected timeTlsUpgrade(tlsSocket: TLSSocket, attributes: Attributes): void {
    if (this._config.recordSocketPhases === false) return;
    timeTlsUpgrade(tlsSocket, this.phaseTarget(attributes));
  }
}
