import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { bodyChunks } from '../../lib/http/body.js';
import { HttpError } from '../../lib/http/http-error.js';

/**
 * A plain HTTP server whose handler reads the body through `bodyChunks` and answers what happened;
 * requests are sent with `send`.
 */
class BodyServer {
  private server: http.Server | undefined;
  constructor(private readonly limit: number) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  private async handle(req: IncomingMessage, res: http.ServerResponse): Promise<void> {
    let bytes = 0;
    try {
      for await (const chunk of bodyChunks(req, this.limit)) bytes += chunk.length;
      res.end(`ok ${bytes}`);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 400;
      // What a refusal leaves behind: the rest is thrown away so the answer can be read.
      req.resume();
      res.writeHead(status).end(`${status} after ${bytes}: ${(err as Error).message}`);
    }
  }

  send(
    headers: Record<string, string>,
    chunks: readonly Buffer[],
  ): Promise<{ status: number; text: string }> {
    const port = (this.server!.address() as AddressInfo).port;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}

describe('request body streams', () => {
  describe('bodyChunks', () => {
    const server = new BodyServer(1000);
    before(() => server.start());
    after(() => server.stop());

    it('passes a body within the limit through', async () => {
      expect(await server.send({}, [Buffer.alloc(600), Buffer.alloc(400)])).to.deep.equal({
        status: 200,
        text: 'ok 1000',
      });
    });

    it('refuses a Content-Length over the limit before reading anything (413)', async () => {
      const answer = await server.send({ 'content-length': '1001' }, [Buffer.alloc(1001)]);
      expect(answer).to.deep.equal({
        status: 413,
        text: '413 after 0: request body of 1001 bytes exceeds the limit of 1000 bytes ([http] max_body_size)',
      });
    });

    it('refuses a chunked body as soon as it grows past the limit (413)', async () => {
      const answer = await server.send({ 'transfer-encoding': 'chunked' }, [
        Buffer.alloc(700),
        Buffer.alloc(700),
      ]);
      expect(answer.status).to.equal(413);
      expect(answer.text).to.match(/^413 after 700: request body exceeds the limit of 1000 bytes/);
    });

    it('refuses compressed bodies (415)', async () => {
      const answer = await server.send({ 'content-encoding': 'gzip' }, [Buffer.from('x')]);
      expect(answer).to.deep.equal({
        status: 415,
        text: "415 after 0: Content-Encoding 'gzip' is not supported; send the body uncompressed",
      });
    });
  });
});
