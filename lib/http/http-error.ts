import { DaqdError } from '../core/errors.js';

/**
 * An HTTP answer other than 400/404 that a route decides on: 405 (with `Allow`), 413, 415, 503.
 * The message is shown to the client, so it never holds internals.
 */
export class HttpError extends DaqdError {
  readonly status: number;
  /** Extra response headers, e.g. `Allow` with a 405 or `Connection: close` with a 413. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, headers: Readonly<Record<string, string>> = {}) {
    super('http', message);
    this.name = 'HttpError';
    this.status = status;
    this.headers = headers;
  }
}
