/*
 * Reads run in short slices of each turn of the event loop, so that turns stay short.
 *
 * Why turns must stay short: libuv accepts ONE new connection per turn of the loop (per
 * readable event of the listening socket), and a turn reads and runs every request that
 * is ready. Under a flood of 2,000 readers a turn that runs every ready read lasts
 * seconds, so a connection opened meanwhile (a registration, a health check) waits in
 * the kernel's accept queue for minutes: measured, one accept per second. Here a turn
 * runs reads for at most `budgetMs`; the others wait in a FIFO queue that the check phase
 * of each turn (setImmediate) works off for another `budgetMs`. Turns then last a few
 * milliseconds whatever the load, and a waiting read costs nothing but its place in the
 * queue.
 *
 * New connections come first: while turns keep accepting one (2,000 clients connecting at
 * once), a turn runs no read at all, so it lasts microseconds and the accept queue drains
 * in a fraction of a second instead of one connection per read. The reads wait for at
 * most `MAX_ACCEPT_ONLY_MS` of such turns in a row.
 */

/** The longest run of accept-only turns before the queue gets a slice again. */
const MAX_ACCEPT_ONLY_MS = 50;

interface Waiting {
  run: () => void;
  /** Answers it with 503 instead: it waited longer than `maxWaitMs`. */
  shed: () => void;
  queuedAt: number;
  /** The client went away while its read waited: it is dropped, not run. */
  abandoned: () => boolean;
}

export class ReadQueue {
  private readonly waiting: Waiting[] = [];
  private head = 0;
  /** When this turn's first request arrived; null until one does (an idle wait is not a busy turn). */
  private turnStartedAt: number | null = null;
  private sliceStartedAt = 0;
  private sliceMs = 0;
  private turnEndScheduled = false;
  /** Whether this turn accepted a connection (then more probably wait in the kernel's queue). */
  private acceptedThisTurn = false;
  /** When the current run of accept-only turns began; null outside one. */
  private acceptOnlySince: number | null = null;

  /**
   * @param budgetMs  the least time a turn gives to waiting reads, and the most a turn runs
   *   reads as they arrive
   * @param maxWaitMs a read that has waited longer when its turn comes is shed, not run: a
   *   read is answered within about this long (or with 503)
   */
  constructor(private readonly budgetMs: number, private readonly maxWaitMs: number) {}

  get length(): number {
    return this.waiting.length - this.head;
  }

  /** How long the oldest waiting read has waited, in milliseconds (0 when none waits). */
  oldestWaitMs(now = performance.now()): number {
    return this.length ? now - this.waiting[this.head]!.queuedAt : 0;
  }

  /** To be called for every GraphQL request as it arrives: the turn's work is timed from the first. */
  requestArrived(now = performance.now()): void {
    if (this.turnStartedAt !== null) return;
    this.turnStartedAt = now;
    this.scheduleTurnEnd();
  }

  /** Whether a read arriving now may run at once: nothing waits, no connection is being accepted and this turn has budget left. */
  mayRunNow(now = performance.now()): boolean {
    this.requestArrived(now);
    return this.length === 0 && this.acceptOnlySince === null && !this.acceptedThisTurn && now - this.turnStartedAt! < this.budgetMs;
  }

  /** To be called for every accepted connection (the server's "connection" event). */
  connectionAccepted = (): void => {
    this.acceptedThisTurn = true;
    this.scheduleTurnEnd();
  };

  /** Queues a read; `run` is called in a later slice (in arrival order), unless abandoned first. */
  enqueue(run: () => void, shed: () => void, abandoned: () => boolean): void {
    this.waiting.push({ run, shed, queuedAt: performance.now(), abandoned });
    this.scheduleTurnEnd();
  }

  /**
   * Called when a read that ran from the queue has answered: the next one runs at once if
   * the slice has budget left (on SQLite a read is CPU work in this thread, its queries
   * answered at once under their promises, so this chains them within the slice), else at
   * the next turn.
   */
  next = (): void => {
    while (this.length) {
      const now = performance.now();
      if (now - this.sliceStartedAt >= this.sliceMs) return this.scheduleTurnEnd();
      const read = this.shift();
      if (read.abandoned()) continue;
      if (now - read.queuedAt > this.maxWaitMs) {
        read.shed();
        continue;
      }
      read.run();
      // If its answer waits on I/O, the next turn's slice goes on without it.
      this.scheduleTurnEnd();
      return;
    }
  };

  private shift(): Waiting {
    const read = this.waiting[this.head]!;
    this.waiting[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    return read;
  }

  private scheduleTurnEnd(): void {
    if (this.turnEndScheduled) return;
    this.turnEndScheduled = true;
    setImmediate(this.endTurn);
  }

  /** The check phase: this turn's poll is over; the queue gets its slice. */
  private endTurn = (): void => {
    const now = performance.now();
    this.turnEndScheduled = false;
    // Waiting reads get at least as long as the rest of the turn took (mutations run as they
    // arrive): a flood of mutations cannot starve the waiting reads.
    this.sliceMs = Math.max(this.budgetMs, this.turnStartedAt === null ? 0 : now - this.turnStartedAt);
    this.turnStartedAt = null;
    const accepted = this.acceptedThisTurn;
    this.acceptedThisTurn = false;
    if (accepted) {
      this.acceptOnlySince ??= now;
      if (now - this.acceptOnlySince < MAX_ACCEPT_ONLY_MS) {
        // An accept-only turn; the next one looks again (and, if the queue waits, comes at once).
        if (this.length) this.scheduleTurnEnd();
        return;
      }
    }
    this.acceptOnlySince = null;
    this.sliceStartedAt = now;
    this.next();
  };
}
