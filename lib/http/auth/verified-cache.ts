import { createHash } from 'node:crypto';

/** Entries kept at most; the least recently used goes first. */
const DEFAULT_MAX_ENTRIES = 10_000;

interface Verdict {
  /** The stored hash the secret was checked against: a changed password makes the entry stale. */
  hash: string;
  ok: boolean;
}

/**
 * Verdicts of secret checks, so a client sending the same credentials with every request costs one
 * scrypt run, not one per request (scrypt is slow by design). Keyed by a SHA-256 of user and secret, so
 * the secret itself is never kept; an entry counts only while the user's stored hash is the one it was
 * checked against, so a reload that changes or removes a password takes effect at once. Wrong secrets are
 * remembered too: repeating a wrong password does not buy an attacker scrypt runs.
 */
export class VerifiedCache {
  private readonly entries = new Map<string, Verdict>();

  constructor(private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  /** The cache key of a user's secret. */
  static key(user: string, secret: string): string {
    return createHash('sha256').update(user).update('\0').update(secret).digest('base64');
  }

  /** The verdict for `key` checked against `hash`, or undefined when none (or a stale one) is known. */
  get(key: string, hash: string): boolean | undefined {
    const verdict = this.entries.get(key);
    if (verdict === undefined) return undefined;
    if (verdict.hash !== hash) {
      this.entries.delete(key);
      return undefined;
    }
    // Map order is insertion order: move it to the end (most recently used).
    this.entries.delete(key);
    this.entries.set(key, verdict);
    return verdict.ok;
  }

  set(key: string, hash: string, ok: boolean): void {
    this.entries.delete(key);
    this.entries.set(key, { hash, ok });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
