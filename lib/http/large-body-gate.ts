/** Bodies above this many bytes (or of unknown length) go through the gate. */
const LARGE_BODY = 1024 * 1024;

/**
 * Lets one large request body at a time be read, decoded and stored; the others wait their turn, in
 * arrival order, unread (TCP holds their senders back). Decoding a body takes heap in proportion to its
 * size, so without this a few concurrent uploads near `max_body_size` would need several times the
 * memory of one. Small bodies, the common case of nodes posting readings, never wait.
 */
export class LargeBodyGate {
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  /** Whether a request with this `Content-Length` header (absent: chunked) is a large body. */
  isLarge(contentLength: string | undefined): boolean {
    if (contentLength === undefined || contentLength === '') return true;
    return Number(contentLength) > LARGE_BODY;
  }

  /** Waits for the gate; the returned function opens it for the next body (call it exactly once). */
  async enter(): Promise<() => void> {
    if (this.busy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.busy = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next === undefined) this.busy = false;
      else next();
    };
  }
}
