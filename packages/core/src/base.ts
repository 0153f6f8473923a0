import { createNoopMeter, metrics, type Attributes, type Meter, type MeterProvider } from '@opentelemetry/api';
import {
  InstrumentationBase,
  safeExecuteInTheMiddle,
  type InstrumentationModuleDefinition,
} from '@opentelemetry/instrumentation';
import { inertInstrumentation, missingApiSupport } from './api-support';
import { sharedAttributes, withAttribute } from './attribute-sets';
import { ChannelSubscriptions, type ChannelHandlers } from './channels';
import { ConnectionClaims } from './claims';
import { HookRunner, reportFailure } from './guard';
import { guardedMeter } from './guarded-meter';
import { createConnectionInstruments, type ConnectionInstruments } from './instruments';
import { missingNodeSupport } from './node-support';
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

const NOOP_METER = createNoopMeter();
const NET_CLIENT_SOCKET = 'net.client.socket';
/** Instrumentations already warned about this Node.js. */
const WARNED = new Set<string>();

/** Shared sets an instance finds by server without building one; the table starts over when full. */
const MAX_SERVER_SETS = 2048;

/** The phase target of a connection of an instrumentation: its instruments read at each recording (a new MeterProvider takes effect). */
class InstrumentationPhaseTarget implements PhaseTarget {
  constructor(
    private readonly owner: { readonly _connectionInstruments: ConnectionInstruments },
    readonly attributes: Attributes,
  ) {}

  get instruments(): ConnectionInstruments {
    return this.owner._connectionInstruments;
  }
}

/**
 * Base of every connmetrics instrumentation: the common instruments, the
 * diagnostics channel subscriptions of the protocol, and socket phase timing,
 * all switched on and off together by enable() and disable().
 *
 * Exact with several instances: every connection, attempt and pool is
 * counted by the first instance that claims it for its MeterProvider (see
 * claims.ts); `claim()` tells a subclass whether a subject is its to count.
 *
 * Never throws into the application: every instrument comes from a guarded
 * Meter (a MeterProvider that throws at getMeter(), create*(),
 * addBatchObservableCallback() or at each recording is logged once and
 * records nothing), including those that subclasses create in their
 * `_updateMetricInstruments()` through `this.meter`.
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
  declare private _claims: ConnectionClaims | undefined;
  /** The guarded form of the Meter InstrumentationBase holds (or of a no-op one, after a failing provider). */
  declare private _guardedMeter: { readonly inner: Meter; readonly meter: Meter } | undefined;
  declare private _meterFailed: boolean | undefined;
  /** The shared attribute set of each server, for connections that no hook or extra attribute sets apart. */
  declare private _serverSets: Map<string | undefined, Map<number | undefined, Map<string | undefined, Attributes>>> | undefined;
  declare private _serverSetCount: number;

  constructor(instrumentationName: string, instrumentationVersion: string, config: Config) {
    const problem = missingApiSupport();
    // Before super(): InstrumentationBase itself throws with such an API. A
    // derived constructor may return another object instead of calling it.
    if (problem !== undefined) return inertInstrumentation(instrumentationName, instrumentationVersion, config, problem) as unknown as this;
    super(instrumentationName, instrumentationVersion, config);
  }

  /** `network.protocol.name` of this instrumentation's connections. */
  protected abstract readonly protocolName: string;

  /** The diagnostics channels of the protocol, each with its handler. */
  protected abstract channelHandlers(): ChannelHandlers;

  /** Module patches, for libraries with no diagnostics channel; none by default. */
  protected init(): InstrumentationModuleDefinition[] {
    return [];
  }

  /** This instance's claims; its MeterProvider is the one it records to. */
  private get claims(): ConnectionClaims {
    return (this._claims ??= new ConnectionClaims(this.instrumentationName));
  }

  /**
   * The Meter to create instruments with: InstrumentationBase's, guarded, so
   * that nothing a subclass creates or records can throw.
   */
  protected override get meter(): Meter {
    const inner = this._meterFailed ? NOOP_METER : super.meter;
    let guarded = this._guardedMeter;
    if (guarded?.inner !== inner) this._guardedMeter = guarded = { inner, meter: guardedMeter(inner, () => this._diag) };
    return guarded.meter;
  }

  /**
   * Records to `meterProvider` from now on. A provider whose getMeter()
   * throws is logged once and leaves the instrumentation recording nothing:
   * registerInstrumentations() and NodeSDK.start() never fail because of it.
   */
  override setMeterProvider(meterProvider: MeterProvider): void {
    this.claims.provider = meterProvider;
    try {
      super.setMeterProvider(meterProvider);
      this._meterFailed = false;
    } catch (error) {
      reportFailure(this._diag, 'setMeterProvider (getMeter threw; nothing is recorded)', error);
      this._meterFailed = true;
      this._updateMetricInstruments();
    }
  }

  protected override _updateMetricInstruments(): void {
    // Called first from InstrumentationBase's constructor, with the global provider's meter.
    this.claims.provider ??= metrics.getMeterProvider();
    this._connectionInstruments = { ...createConnectionInstruments(this.meter), claims: this.claims };
  }

  /**
   * Whether this instance counts `subject` (a connection, an attempt, a pool,
   * a channel message) for its MeterProvider: the first instance of this
   * instrumentation that asks owns it, the others record nothing for it.
   * Ask before recording anything about a subject outside ConnectionTracker
   * (which asks itself in created() and adopt()).
   */
  protected claim(subject: object): boolean {
    return this.claims.claim(subject);
  }

  /**
   * Forgets this instance's claim of a subject that is over for good (a
   * socket that closed): for subjects that are never seen again, since a
   * released subject goes to the first instance that asks next.
   */
  protected releaseClaim(subject: object): void {
    this.claims.release(subject);
  }

  /** Changes whenever a claim of this instance may lapse: a true claim() holds while it is the same (see claims.ts). */
  protected claimEpoch(): number {
    return this.claims.epoch;
  }

  override enable(): void {
    super.enable();
    this.claims.active = true;
    if (this._config.recordSocketPhases !== false) acquireSocketPhases(this);
    this._channels ??= new ChannelSubscriptions(this.channelHandlers(), this._diag);
    this._channels.subscribe();
    this.warnMissingSupport();
  }

  /** Once per instrumentation and process: the Node.js release lacks what this package reads. */
  private warnMissingSupport(): void {
    if (WARNED.has(this.instrumentationName)) return;
    const problems = missingNodeSupport(this.requiredChannels());
    if (problems.length === 0) return;
    WARNED.add(this.instrumentationName);
    this._diag.warn(
      `connmetrics: ${this.instrumentationName} cannot count everything on this Node.js: ${problems.join('; ')}. ` +
        'Upgrade Node.js to a release the package supports (see its README).',
    );
  }

  /** The built-in diagnostics channels this instrumentation needs: its own and the socket phases'. */
  protected requiredChannels(): string[] {
    const names = Object.keys(this.channelHandlers());
    if (this._config.recordSocketPhases !== false) names.push(NET_CLIENT_SOCKET);
    return names;
  }

  override disable(): void {
    super.disable();
    this.claims.active = false;
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
   * peer address when configured, and what the user's hook adds. A shared
   * set (see attribute-sets.ts): every connection of a server gets the same
   * frozen object, so that what is recorded with it is resolved once.
   */
  protected connectionAttributes(
    serverAddress: string | undefined,
    serverPort: number | undefined,
    extra?: Attributes,
    peerAddress?: string,
  ): Attributes {
    if (extra === undefined && this._config.connectionAttributes === undefined) {
      // Found by address, port and peer without building a key: every connection passes here.
      const peer = peerAddress && this._config.recordPeerAddress ? peerAddress : undefined;
      let sets = this._serverSets;
      if (sets === undefined || this._serverSetCount >= MAX_SERVER_SETS) {
        this._serverSets = sets = new Map();
        this._serverSetCount = 0;
      }
      let byPort = sets.get(serverAddress);
      if (byPort === undefined) sets.set(serverAddress, (byPort = new Map()));
      let byPeer = byPort.get(serverPort);
      if (byPeer === undefined) byPort.set(serverPort, (byPeer = new Map()));
      let set = byPeer.get(peer);
      if (set === undefined) {
        byPeer.set(peer, (set = sharedAttributes(this.buildConnectionAttributes(serverAddress, serverPort, undefined, peerAddress))));
        this._serverSetCount += 1;
      }
      return set;
    }
    return sharedAttributes(this.buildConnectionAttributes(serverAddress, serverPort, extra, peerAddress));
  }

  private buildConnectionAttributes(
    serverAddress: string | undefined,
    serverPort: number | undefined,
    extra: Attributes | undefined,
    peerAddress: string | undefined,
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

  /**
   * A connection's attributes completed with what became known after
   * `connectionAttributes()` ran (the protocol version, the peer address):
   * added by the same rules, so a connection followed from its attempt and
   * one first seen at a use (adopted) get the same set.
   */
  protected withConnectionDetails(attributes: Attributes, extra?: Attributes, peerAddress?: string): Attributes {
    let result = attributes;
    if (extra) for (const name in extra) result = withAttribute(result, name, extra[name]!);
    if (peerAddress && this._config.recordPeerAddress) result = withAttribute(result, ATTR_NETWORK_PEER_ADDRESS, peerAddress);
    return result;
  }

  /** A phase target that records through this instrumentation's instruments. */
  protected phaseTarget(attributes: Attributes): PhaseTarget {
    return new InstrumentationPhaseTarget(this as unknown as { readonly _connectionInstruments: ConnectionInstruments }, attributes);
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
