/**
 * Callers waiting for a pool connection, served first come, first served.
 * A doubly linked list: a timed-out waiter leaves from the middle in O(1),
 * and one whose connection failed its health check goes back to the front.
 */

/** One caller waiting for a connection. */
export class Waiter<S> {
  /** @internal */
  prev: Waiter<S> | undefined = undefined;
  /** @internal */
  next: Waiter<S> | undefined = undefined;
  /** @internal */
  queued = false;
  /** Settled: served, timed out, aborted or failed. */
  done = false;
  timer: NodeJS.Timeout | undefined = undefined;
  /** Called when the waiter settles, to drop its timer and abort listener. */
  cleanup: (() => void) | undefined = undefined;

  constructor(
    private readonly onServe: (slot: S) => void,
    private readonly onFail: (err: Error) => void,
    /** When the caller started waiting (performance.now()). */
    readonly since: number,
  ) {}

  /** Hand over a connection. Returns false (and does nothing) when the waiter already settled. */
  serve(slot: S): boolean {
    if (this.done) return false;
    this.settle();
    this.onServe(slot);
    return true;
  }

  /** Fail the wait. Returns false when the waiter already settled. */
  fail(err: Error): boolean {
    if (this.done) return false;
    this.settle();
    this.onFail(err);
    return true;
  }

  private settle(): void {
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.cleanup?.();
  }
}

/** FIFO of waiters. */
export class WaiterQueue<S> {
  private head: Waiter<S> | undefined;
  private tail: Waiter<S> | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The caller waiting longest, without removing it. */
  peek(): Waiter<S> | undefined {
    return this.head;
  }

  push(w: Waiter<S>): void {
    w.queued = true;
    w.prev = this.tail;
    w.next = undefined;
    if (this.tail) this.tail.next = w;
    else this.head = w;
    this.tail = w;
    this.count++;
  }

  /** Put a waiter back at the front (its connection failed a check; it keeps its place). */
  unshift(w: Waiter<S>): void {
    w.queued = true;
    w.next = this.head;
    w.prev = undefined;
    if (this.head) this.head.prev = w;
    else this.tail = w;
    this.head = w;
    this.count++;
  }

  shift(): Waiter<S> | undefined {
    const w = this.head;
    if (w) this.remove(w);
    return w;
  }

  remove(w: Waiter<S>): void {
    if (!w.queued) return;
    w.queued = false;
    if (w.prev) w.prev.next = w.next;
    else this.head = w.next;
    if (w.next) w.next.prev = w.prev;
    else this.tail = w.prev;
    w.prev = w.next = undefined;
    this.count--;
  }

  /** Remove and return every waiter. */
  drain(): Waiter<S>[] {
    const all: Waiter<S>[] = [];
    for (let w = this.shift(); w; w = this.shift()) all.push(w);
    return all;
  }
}
