/*
 * The agents whose pools the gauges read, held weakly: an application that
 * creates an agent per request leaves nothing behind once the agent is
 * collected. Only agents that can hold idle connections (keep-alive) or have
 * queued a request are registered.
 */
import type { AgentLike } from './http-shapes';

export class AgentRegistry {
  private known = new WeakSet<AgentLike>();
  private readonly refs = new Set<WeakRef<AgentLike>>();
  private readonly finalizer = new FinalizationRegistry<WeakRef<AgentLike>>((ref) => this.refs.delete(ref));

  /** Registers an agent; cheap when it is already known (one WeakSet look-up). */
  track(agent: AgentLike): void {
    if (this.known.has(agent)) return;
    this.known.add(agent);
    const ref = new WeakRef(agent);
    this.refs.add(ref);
    this.finalizer.register(agent, ref, ref);
  }

  /** Calls `visit` for every registered agent still alive. */
  forEach(visit: (agent: AgentLike) => void): void {
    for (const ref of this.refs) {
      const agent = ref.deref();
      if (agent === undefined) this.refs.delete(ref);
      else visit(agent);
    }
  }

  clear(): void {
    for (const ref of this.refs) this.finalizer.unregister(ref);
    this.refs.clear();
    this.known = new WeakSet();
  }

  /** How many agents are registered (for tests). */
  get size(): number {
    return this.refs.size;
  }
}
