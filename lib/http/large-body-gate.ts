/** Bodies above this many bytes (or of unknown length) go through the gate. */
const LARGE_BODY = 1024 * 1024;
/** Large bodies being received at once, from all clients together. */
const DEFAULT_RECEIVING = 4;

/** A FIFO of callers waiting for a slot. */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  /** Waits for a slot; the returned function frees it for the next caller (call it exactly once). */
  async take(): Promise<() => void> {
    if (this.used >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next caller.
      if (next === undefined) this.used--;
      else next();
    };
  }
}

/**
 * Admission of large request bodies, in two steps:
 * - **receive** (`receive(client)`): at most `receiving` large bodies are read from the network at
 *   once, at most one per client (source address); the others wait their turn, in arrival order,
 *   unread (TCP holds their senders back). A client that stalls its upload thus holds up only its own
 *   next uploads — until `[http] body_timeout` refuses it — never another client's.
 * - **decode** (`enter()`): one received body at a time is decoded and stored. Decoding takes heap in
 *   proportion to the body's size, so without this a few concurrent uploads near `max_body_size` would
 *   need several times the memory of one. A body enters only once it is read whole, so a slow sender
 *   never holds it.
 * Small bodies, the common case of nodes posting readings, never wait.
 */
export class LargeBodyGate {
  private readonly receiving: Slots;
  private readonly decoding = new Slots(1);
  /** Per client, its own queue: one large body of a client is received at a time. */
  private readonly clients = new Map<string, { slots: Slots; users: number }>();

  constructor(options: { receiving?: number } = {}) {
    this.receiving = new Slots(options.receiving ?? DEFAULT_RECEIVING);
  }

  /** Whether a request with this `Content-Length` header (absent: chunked) is a large body. */
  isLarge(contentLength: string | undefined): boolean {
    if (contentLength === undefined || contentLength === '') return true;
    return Number(contentLength) > LARGE_BODY;
  }

  /**
   * Waits until a large body of `client` may be read from the network (its client's earlier ones first,
   * then a free receive slot); the returned function frees it (call it exactly once).
   */
  async receive(client: string): Promise<() => void> {
    let own = this.clients.get(client);
    if (own === undefined) {
      own = { slots: new Slots(1), users: 0 };
      this.clients.set(client, own);
    }
    own.users++;
    const entry = own;
    const releaseOwn = await entry.slots.take();
    const releaseShared = await this.receiving.take();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      releaseShared();
      releaseOwn();
      entry.users--;
      if (entry.users === 0) this.clients.delete(client);
    };
  }

  /** Waits until a received body may be decoded and stored; the returned function opens the gate again. */
  enter(): Promise<() => void> {
    return this.decoding.take();
  }
}
