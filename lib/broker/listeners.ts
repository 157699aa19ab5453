import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo, createServer, type Server } from 'node:net';
import type { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { DaqdError } from '../core/errors.js';
import type { Log } from '../core/log.js';

/** Where a listener listens. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * The embedded broker's listeners: TCP on `host:port`, and with `websocketPort` > 0 MQTT over
 * WebSocket on `host:websocketPort` (any path, subprotocol `mqtt`). Each connection goes to aedes.
 */
export class BrokerListeners {
  private server: Server | undefined;
  private wsHttp: HttpServer | undefined;
  private wss: WebSocketServer | undefined;

  constructor(private readonly ctx: { log: Log }) {}

  /** Where TCP listens once open (the OS's port when `port` is 0). */
  address(): ListenAddress | undefined {
    return addressOf(this.server);
  }

  /** Where the WebSocket listener listens once open; undefined without one. */
  websocketAddress(): ListenAddress | undefined {
    return addressOf(this.wsHttp);
  }

  /**
   * Listens on TCP (and WebSocket); rejects on EADDRINUSE and friends once every listen has settled,
   * so `close()` then leaves no listener behind.
   */
  async open(broker: Aedes, host: string, port: number, websocketPort: number): Promise<void> {
    const listens = [this.listen(this.tcpServer(broker), host, port, '')];
    if (websocketPort > 0) {
      listens.push(this.listen(this.websocketServer(broker), host, websocketPort, ' (WebSocket)'));
    }
    // Both are awaited before anything is closed again, so a failed start leaves no listener behind.
    const failed = (await Promise.allSettled(listens)).find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * Stops accepting, then runs `closeBroker` (which closes every client connection), then ends what
   * aedes did not close; resolves once the servers are closed.
   */
  async close(closeBroker: () => Promise<void>): Promise<void> {
    const { server, wsHttp, wss } = this;
    this.server = undefined;
    this.wsHttp = undefined;
    this.wss = undefined;
    // Stop accepting first; a server's close completes once aedes has closed every client.
    const serversClosed = Promise.all([server, wsHttp].map(closeServer));
    const wssClosed = new Promise<void>((resolve) =>
      wss === undefined ? resolve() : wss.close(() => resolve()),
    );
    await closeBroker();
    // Whatever aedes did not close: a handshake that completed while it closed, a plain HTTP request.
    for (const socket of wss?.clients ?? []) socket.terminate();
    wsHttp?.closeAllConnections();
    await Promise.all([serversClosed, wssClosed]);
  }

  private tcpServer(broker: Aedes): Server {
    this.server = createServer((socket) => broker.handle(socket));
    return this.server;
  }

  /** An HTTP server that upgrades to WebSocket and hands each connection to aedes as a stream. */
  private websocketServer(broker: Aedes): HttpServer {
    const http = createHttpServer((_request, response) => {
      response.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
      response.end('MQTT over WebSocket only\n');
    });
    const wss = new WebSocketServer({ server: http });
    // aedes takes the stream's errors from here on, as it does a TCP socket's.
    wss.on('connection', (socket, request) => broker.handle(createWebSocketStream(socket), request));
    // The HTTP server's listen errors are handled in `listen`; ws re-emits them here as well.
    wss.on('error', () => undefined);
    this.wsHttp = http;
    this.wss = wss;
    return http;
  }

  private listen(server: Server, host: string, port: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        const reason = err.code === 'EADDRINUSE' ? 'address already in use' : err.message;
        reject(
          new DaqdError('broker', `embedded broker: cannot listen on ${host}:${port}${what}: ${reason}`, {
            cause: err,
          }),
        );
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', (err) => this.ctx.log.error(`embedded broker${what}: ${err.message}`));
        resolve();
      });
    });
  }
}

function addressOf(server: Server | undefined): ListenAddress | undefined {
  const address = server?.address() as AddressInfo | null | undefined;
  return address ? { host: address.address, port: address.port } : undefined;
}

function closeServer(server: Server | undefined): Promise<void> {
  return server?.listening === true
    ? new Promise<void>((resolve) => server.close(() => resolve()))
    : Promise.resolve();
}
