/**
 * The embedded broker's door at start-up: closed, it holds each client's CONNACK until `open()`, so
 * daqd's realms open their taps first and nothing published at start-up passes them by. Held clients
 * just wait (no refusal: some client libraries give up on a refused CONNECT).
 */
export class AdmissionGate {
  private opened: boolean;
  /** Clients waiting for `open()`, in the order they came. */
  private held: (() => void)[] = [];

  constructor(ctx: { open: boolean }) {
    this.opened = ctx.open;
  }

  /** Runs `admit` now when open, else once the gate opens. */
  pass(admit: () => void): void {
    if (this.opened) admit();
    else this.held.push(admit);
  }

  /** Whether clients are let in at once. */
  get isOpen(): boolean {
    return this.opened;
  }

  /** How many clients wait for `open()`. */
  get waiting(): number {
    return this.held.length;
  }

  /** Opens the gate, letting the held clients in first, in the order they came. Idempotent. */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    const held = this.held;
    this.held = [];
    for (const admit of held) admit();
  }
}
