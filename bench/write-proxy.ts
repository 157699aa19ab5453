import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through HTTP proxy in front of influxd that tells, for every /write InfluxDB accepted, the
 * body and the moment the 204 came back: that moment is when its readings were stored. Used only
 * for the latency figures (at a moderate rate), never for throughput.
 */
export class WriteProxy {
  private server: http.Server | undefined;
  private readonly agent = new http.Agent({ keepAlive: true });

  constructor(
    private readonly target: { host: string; port: number },
    private readonly onStored: (body: string, at: number) => void,
  ) {}

  get url(): string {
    const address = this.server?.address() as AddressInfo | null;
    return `http://127.0.0.1:${address?.port ?? 0}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const body = Buffer.concat(parts);
        const upstream = http.request(
          {
            host: this.target.host,
            port: this.target.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
            agent: this.agent,
          },
          (answer) => {
            const stored = req.url?.startsWith('/write') === true && answer.statusCode === 204;
            if (stored) this.onStored(body.toString('utf8'), performance.now());
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        upstream.end(body);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.agent.destroy();
  }
}
