import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { DaqdError, errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';

/** What `TlsFiles` is handed: `[http] cert_file` and `key_file` (both or neither). */
export interface TlsFilesContext {
  cert_file?: string | undefined;
  key_file?: string | undefined;
  log: Log;
}

/**
 * HTTPS for installs without a reverse proxy: the server is made with the PEM certificate (chain) and
 * key of `[http] cert_file`/`key_file`; `reload()` (SIGHUP) reads them again and hands them to the
 * running server (`setSecureContext`), so a renewed certificate counts for new connections without a
 * restart. Without both files the server speaks plain HTTP.
 */
export class TlsFiles {
  private server: HttpsServer | undefined;

  constructor(private readonly ctx: TlsFilesContext) {}

  /** `https` or `http`, for log lines. */
  get scheme(): 'https' | 'http' {
    return this.ctx.cert_file !== undefined && this.ctx.key_file !== undefined ? 'https' : 'http';
  }

  /** An HTTPS server when both files are set (read now; `DaqdError` if they cannot be), else HTTP. */
  async createServer(listener: RequestListener): Promise<Server> {
    if (this.scheme === 'http') return createHttpServer(listener);
    const server = createHttpsServer(await this.read(), listener);
    this.server = server;
    return server;
  }

  /**
   * Reads both files again and uses them for new connections. A file that cannot be read, or a pair
   * that does not fit, leaves the certificate in use, with one error line.
   */
  async reload(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    try {
      server.setSecureContext(await this.read());
    } catch (err) {
      this.ctx.log.error(`http: ${errorMessage(err)}; the certificate in use stays`);
      return;
    }
    this.ctx.log.notice(`http: certificate '${this.ctx.cert_file}' read again`);
  }

  private async read(): Promise<{ cert: Buffer; key: Buffer }> {
    const { cert_file, key_file } = this.ctx;
    if (cert_file === undefined || key_file === undefined) throw new DaqdError('tls', 'no certificate set');
    try {
      const [cert, key] = await Promise.all([readFile(cert_file), readFile(key_file)]);
      return { cert, key };
    } catch (err) {
      throw new DaqdError('tls', `cannot read the certificate or key: ${errorMessage(err)}`, { cause: err });
    }
  }
}
