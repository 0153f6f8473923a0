/*
 * `http.client.request.time_in_queue` with .NET's meaning: recorded only for
 * a request that waited for a connection. undici creates its request object
 * when a Client takes the request, and sends it in the same synchronous step
 * when that Client has an idle connection; such a request did not wait and
 * is not recorded (nothing is done for it beyond two field writes). Nor is a
 * request whose connection was already idle when it was created and that
 * undici sent a turn later (it holds a freed connection back for one event
 * loop turn before reusing it): it waited for undici's scheduling, not for a
 * connection. A request that did wait (for a connection being set up, or for
 * the one busy connection of its Client) is recorded from its creation to the
 * moment it is sent.
 *
 * "The same synchronous step" is told without a timer or a map: the newest
 * request created is remembered, and anything that happens in between (a
 * connection attempt, another request created, sent or ended) means it is
 * not sent at once; only those requests get their creation time stored on them.
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

  /**
   * A request is sent on a connection idle since `idleSince` (`performance.now()`
   * time; the moment it became ready for a new one): how long the request waited
   * for it, in seconds, or undefined when it did not wait for a connection.
   */
  sent(request: object, idleSince: number): number | undefined {
    if (request === this.newest) {
      this.newest = undefined;
      return undefined;
    }
    this.interrupt();
    const createdAt = (request as Stamped)[CREATED_AT];
    if (createdAt === undefined || idleSince <= createdAt) return undefined;
    return (performance.now() - createdAt) / 1000;
  }

  clear(): void {
    this.newest = undefined;
  }
}
