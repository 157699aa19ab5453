/** What a node said about the version of what it served (RFC 9110 §8.8), per URL. */
export interface Validators {
  /** `ETag`, sent back as `If-None-Match`. */
  etag?: string | undefined;
  /** `Last-Modified`, sent back as `If-Modified-Since`. */
  lastModified?: string | undefined;
}

/**
 * Conditional requests of a polling source: remembers each URL's `ETag` and `Last-Modified` and makes
 * the next request conditional on them (`If-None-Match`, `If-Modified-Since`), so a node whose log has
 * not changed answers 304 and sends nothing. A validator is remembered only once what came with it is
 * stored (`remember` is called then): a body that failed to store is fetched whole again.
 * Kept in the realm's poll state file across restarts.
 */
export class PollValidators {
  private readonly byUrl = new Map<string, Validators>();

  /** The conditional headers for `url` (none before a first stored answer, or from a node without validators). */
  headers(url: string): Record<string, string> {
    const known = this.byUrl.get(url);
    const headers: Record<string, string> = {};
    if (known?.etag !== undefined) headers['if-none-match'] = known.etag;
    if (known?.lastModified !== undefined) headers['if-modified-since'] = known.lastModified;
    return headers;
  }

  /** Remembers the validators of an answer whose body is stored (forgets them when it had none). */
  remember(url: string, headers: { get(name: string): string | null }): void {
    const etag = headers.get('etag') ?? undefined;
    const lastModified = headers.get('last-modified') ?? undefined;
    if (etag === undefined && lastModified === undefined) this.byUrl.delete(url);
    else this.byUrl.set(url, { etag, lastModified });
  }

  /** Keeps only the URLs still polled. */
  retain(urls: ReadonlySet<string>): void {
    for (const url of this.byUrl.keys()) if (!urls.has(url)) this.byUrl.delete(url);
  }

  toJSON(): Record<string, Validators> {
    return Object.fromEntries(this.byUrl);
  }

  /** Restores what `toJSON` gave; entries of another shape are left out. */
  static fromJSON(value: unknown): PollValidators {
    const validators = new PollValidators();
    if (typeof value !== 'object' || value === null) return validators;
    for (const [url, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v !== 'object' || v === null) continue;
      const { etag, lastModified } = v as Record<string, unknown>;
      const entry: Validators = {
        etag: typeof etag === 'string' ? etag : undefined,
        lastModified: typeof lastModified === 'string' ? lastModified : undefined,
      };
      if (entry.etag !== undefined || entry.lastModified !== undefined) validators.byUrl.set(url, entry);
    }
    return validators;
  }
}
