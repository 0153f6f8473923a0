/*
 * `http.client.request.time_in_queue` with .NET's meaning: recorded only for
 * a request that waited for a connection. undici creates its request object
 * when a Client takes the request, and sends it in the same synchronous step
 * when that Client has an idle connection; such a request did not wait and
 * is not recorded (nothing is done for it beyond two field writes). A request
 * that had to wait (for a connection being set up, or behind another request
 * on a busy Client) is recorded from its creation to the moment it is sent.
 *
 * "The same synchronous step" is told without a timer or a map: the newest
 * request created is remembered, and anything that happens in between (a
 * connection attempt, another request created, sent or ended) means it is
 * waiting; only waiting requests get their creation time stored on them.
 */
import { performance } from 'node:perf_hooks';

const CREATED_AT = Symbol('connmetrics.undici.createdAt');

type Stamped = { [CREATED_AT]?: number };

export class QueueWaits {
  private newest: Stamped | undefined;
  private newestAt = 0;

  /** A request was created. */
  created(request: object): void {
    this.interrupt();
    this.newest = request as Stamped;
    this.newestAt = performance.now();
  }

  /** Something happened between the newest request's creation and its sending: it is waiting. */
  interrupt(): void {
    const newest = this.newest;
    if (newest === undefined) return;
    newest[CREATED_AT] = this.newestAt;
    this.newest = undefined;
  }

  /** A request is sent: how long it waited, in seconds, or undefined when it was sent at once. */
  sent(request: object): number | undefined {
    if (request === this.newest) {
      this.newest = undefined;
      return undefined;
    }
    this.interrupt();
    const createdAt = (request as Stamped)[CREATED_AT];
    return createdAt === undefined ? undefined : Math.max(0, performance.now() - createdAt) / 1000;
  }

  clear(): void {
    this.newest = undefined;
  }
}
