/**
 * The one error family of daqd. Every error we throw is a `DaqdError` (or a subclass) with a stable `code`.
 * Boundaries (per message, per channel, per HTTP request, per process) catch these and decide one thing.
 */
export class DaqdError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DaqdError';
    this.code = code;
  }
}

/** A configuration problem, located in a file (and line, when known). */
export class ConfigError extends DaqdError {
  readonly file: string;
  readonly line: number | undefined;
  /** `section.key` the problem is about, when it is about one key. */
  readonly key: string | undefined;

  constructor(
    message: string,
    where: { file: string; line?: number | undefined; key?: string | undefined },
    options?: { cause?: unknown },
  ) {
    super('config', message, options);
    this.name = 'ConfigError';
    this.file = where.file;
    this.line = where.line;
    this.key = where.key;
  }

  /** `file:line: section.key: problem`, the form editors and `daqd check` users expect. */
  format(): string {
    const line = this.line === undefined || this.line === 0 ? '' : `:${this.line}`;
    const key = this.key === undefined ? '' : `${this.key}: `;
    return `${this.file}${line}: ${key}${this.message}`;
  }
}

/** A topic or payload that cannot be turned into a reading. Never retried: the message is bad. */
export class DecodeError extends DaqdError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('decode', message, options);
    this.name = 'DecodeError';
  }
}

/**
 * A reading a realm's limits refuse (`allowed_networks`, `max_databases`, …; see `config/limit-keys.ts`):
 * answered like a bad payload (`error.json` on MQTT), over HTTP with `status` (403: not allowed to
 * create that; 400: the reading itself is too large). Nothing of the message is stored.
 */
export class LimitError extends DecodeError {
  constructor(
    message: string,
    readonly status: 400 | 403 = 403,
  ) {
    super(message);
    this.name = 'LimitError';
  }
}

/**
 * The store failed. `retryable` tells whether writing the same data again later may succeed.
 * `corrupt`: the store itself is damaged (e.g. a database file that is not a database) and needs an
 * operator; such an error is retryable (the data is kept and written once the file is repaired or
 * replaced), but it is no outage that passes by itself.
 */
export class StorageError extends DaqdError {
  readonly retryable: boolean;
  readonly corrupt: boolean;

  constructor(message: string, retryable: boolean, options?: { cause?: unknown; corrupt?: boolean }) {
    super('storage', message, options);
    this.name = 'StorageError';
    this.retryable = retryable;
    this.corrupt = options?.corrupt ?? false;
  }
}

/** A bad query from a client (HTTP 400). */
export class QueryError extends DaqdError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('query', message, options);
    this.name = 'QueryError';
  }
}

/** Nothing at that address (HTTP 404). */
export class NotFoundError extends DaqdError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_found', message, options);
    this.name = 'NotFoundError';
  }
}

/** The message of any thrown value, for log lines. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
