import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a `NodeLogServer` got. */
export interface LoggedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  /** `Date.now()` when it arrived. */
  at: number;
  /** The status answered; 0 while unanswered (or when the client gave up first). */
  status: number;
}

/** What a path serves. */
export interface ServedLog {
  body: string;
  contentType?: string;
  /** Answer only after this many ms (a slow node); the request is let go when the client gives up. */
  delayMs?: number;
  /** Send ETag and Last-Modified, and answer 304 to a matching conditional request. Default true. */
  validators?: boolean;
}

/**
 * A real HTTP server standing in for nodes that serve their log (the ISEMS nodes'
 * `/ISEMS/ffopenmppt.log`): each path serves a log the test can grow between polls, with ETag and
 * Last-Modified from its content, 304 to a matching conditional request, and slow answers on demand.
 * Every request is recorded. Listens on an OS-given port on 127.0.0.1.
 */
export class NodeLogServer {
  readonly logs = new Map<string, ServedLog & { modified: Date }>();
  readonly requests: LoggedRequest[] = [];
  private server: Server | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  get port(): number {
    const server = this.server;
    if (server === undefined) throw new Error('the node log server is not started');
    return (server.address() as AddressInfo).port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Sets what `path` serves (its Last-Modified moves on by a second each time, as HTTP dates have seconds). */
  serve(path: string, log: ServedLog): void {
    const before = this.logs.get(path)?.modified.getTime() ?? Date.UTC(2026, 11, 1);
    this.logs.set(path, { ...log, modified: new Date(before + 1000) });
  }

  /** Appends lines to what `path` serves. */
  append(path: string, text: string): void {
    const log = this.logs.get(path);
    if (log === undefined) throw new Error(`nothing served at ${path}`);
    this.serve(path, { ...log, body: log.body + text });
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = req.url ?? '/';
      const log = this.logs.get(path);
      // Recorded on arrival; the status once answered (0 until then, and for a request given up).
      const request: LoggedRequest = { path, headers: req.headers, at: Date.now(), status: 0 };
      this.requests.push(request);
      const record = (status: number) => {
        request.status = status;
      };
      if (log === undefined) {
        record(404);
        res.writeHead(404).end('not found');
        return;
      }
      const answer = () => {
        const headers: Record<string, string> = { 'content-type': log.contentType ?? 'text/plain' };
        if (log.validators !== false) {
          const etag = `"${createHash('sha1').update(log.body).digest('hex')}"`;
          headers['etag'] = etag;
          headers['last-modified'] = log.modified.toUTCString();
          if (req.headers['if-none-match'] === etag) {
            record(304);
            res.writeHead(304, { etag }).end();
            return;
          }
        }
        record(200);
        res.writeHead(200, headers).end(log.body);
      };
      if (log.delayMs === undefined) {
        answer();
        return;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        answer();
      }, log.delayMs);
      this.timers.add(timer);
      res.on('close', () => {
        clearTimeout(timer);
        this.timers.delete(timer);
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** One ISEMS node log line (18 fields and the hex status) of `node` at `timestamp` (epoch seconds). */
export function isemsLine(node: string, timestamp: number, batteryVoltage = 12.5): string {
  return (
    `${node};1;${timestamp};ATmega8_A_1;711;0;18.614;18.614;${batteryVoltage};100;100;28;11.67;14.086;7;20;` +
    '52.507309;13.458635;300\n'
  );
}
