/*
 * Which instance of an instrumentation counts a connection for a
 * MeterProvider. Two instances of one instrumentation (zero-code registration
 * plus an SDK file, a list that names one twice, two copies of a package or
 * of core) see the same connections; each connection, attempt, pool or
 * channel message (a "subject") must be counted once per MeterProvider. The
 * first active instance that claims a subject for its provider owns it; the
 * others record nothing for it. A claim lapses when its owner is disabled,
 * and follows its owner to a new MeterProvider.
 *
 * Shared by every copy of core in the process under a versioned global key,
 * like the socket phases: the registry and its entries keep this shape for
 * as long as the key ends in `.v1`.
 */

/** One instance of an instrumentation, as the registry sees it (the `.v1` shape). */
interface ClaimEntry {
  /** The instrumentation's name: instances of the same instrumentation compete, others never do. */
  readonly name: string;
  /** The MeterProvider the instance records to now. */
  readonly provider: object | undefined;
  /** False while disabled: its claims lapse. */
  readonly active: boolean;
}

interface ClaimRegistry {
  readonly claims: WeakMap<object, ClaimEntry[]>;
}

const REGISTRY = Symbol.for('connmetrics.core.claims.v1');

function registry(): ClaimRegistry {
  const holder = globalThis as { [REGISTRY]?: ClaimRegistry };
  return (holder[REGISTRY] ??= { claims: new WeakMap() });
}

/**
 * The claims of one instrumentation instance. `claim()` is cheap for the
 * owner (a WeakMap lookup and one comparison) and allocates only on a
 * subject's first claim.
 */
export class ConnectionClaims implements ClaimEntry {
  provider: object | undefined = undefined;
  /**
   * Changes whenever a claim this instance holds may lapse (it was enabled
   * or disabled, or released a subject): a claim() that returned true stays
   * true while the epoch is the same, so a caller may keep the answer (the
   * pools' hot path does, see PoolEntry.counted()).
   */
  epoch = 0;
  private isActive = false;
  private readonly claims = registry().claims;

  constructor(readonly name: string) {}

  /** False while disabled: its claims lapse. Read by other copies of core through the `.v1` shape. */
  get active(): boolean {
    return this.isActive;
  }

  set active(active: boolean) {
    if (active === this.isActive) return;
    this.isActive = active;
    this.epoch += 1;
  }

  /**
   * Whether this instance counts `subject` for its MeterProvider: true when
   * it owns it already or nobody active on the same provider does (then it
   * owns it from now on); false when another instance does.
   */
  claim(subject: object): boolean {
    if (!this.active) return false;
    const entries = this.claims.get(subject);
    if (entries === undefined) {
      this.claims.set(subject, [this]);
      return true;
    }
    for (const entry of entries) {
      if (entry === this) return true;
      if (entry.active && entry.name === this.name && entry.provider === this.provider) return false;
    }
    // Nobody counts it here: drop the lapsed claims, keep those for other providers, and take it.
    const kept = entries.filter((entry) => entry.active);
    kept.push(this);
    this.claims.set(subject, kept);
    return true;
  }

  /**
   * Forgets this instance's claim of a subject that is over (a socket that
   * closed and is never connected again), when nobody else holds one: its
   * entry would otherwise last until the subject is collected, which costs
   * the garbage collector more than the entry itself.
   */
  release(subject: object): void {
    const entries = this.claims.get(subject);
    if (entries !== undefined && entries.length === 1 && entries[0] === this) {
      this.claims.delete(subject);
      this.epoch += 1;
    }
  }

  /** Whether another active instance on this provider owns `subject` (claims nothing). */
  ownedElsewhere(subject: object): boolean {
    const entries = this.claims.get(subject);
    if (entries === undefined) return false;
    for (const entry of entries) {
      if (entry === this) return false;
      if (entry.active && entry.name === this.name && entry.provider === this.provider) return true;
    }
    return false;
  }
}
