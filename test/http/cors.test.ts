import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { silentLog } from '../../lib/core/log.js';
import { Metrics } from '../../lib/core/metrics.js';
import { CORS_MAX_AGE } from '../../lib/http/cors.js';
import { HttpServer } from '../../lib/http/server.js';

const APP = 'https://app.example.org';
const DASHBOARD = 'http://localhost:3000';
const STRANGER = 'https://evil.example';

/** A preflight as a browser sends it before a cross-origin POST with credentials and a JSON body. */
function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization, content-type',
    },
  });
}

describe('CORS ([http] cors_origins, real HTTP server in process)', () => {
  let dir: string;
  const servers: HttpServer[] = [];

  async function serve(origins: readonly string[] | undefined): Promise<string> {
    const server = new HttpServer({
      listen: '127.0.0.1',
      port: 0,
      log: silentLog(),
      health: async () => ({ ok: true }),
      settings: {
        http: { max_body_size: 4096, cors_origins: origins },
        daqd: { data_dir: dir, timezone: 'UTC', shutdown_timeout: 2 },
      },
      ready: () => true,
      channel: () => undefined,
      sink: () => undefined,
      metrics: new Metrics({ channels: () => [], queueDepth: () => 0 }),
    });
    await server.start();
    servers.push(server);
    return `http://127.0.0.1:${server.port}`;
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-cors-'));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a preflight from a listed origin: 204, methods, Authorization and Content-Type, max-age', async () => {
    const url = await serve([APP, DASHBOARD]);
    const res = await preflight(`${url}/api/wan/net/gw/node/data`, DASHBOARD);
    expect(res.status).to.equal(204);
    expect(res.headers.get('access-control-allow-origin')).to.equal(DASHBOARD);
    expect(res.headers.get('access-control-allow-methods')).to.equal('GET,HEAD,POST,PUT,OPTIONS');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',');
    expect(allowed).to.include.members(['authorization', 'content-type']);
    expect(res.headers.get('access-control-max-age')).to.equal(String(CORS_MAX_AGE));
    expect(res.headers.get('vary')).to.match(/Origin/);
    expect(res.headers.get('access-control-allow-credentials')).to.equal(null);
  });

  it('gives a listed origin its own name on every answer, errors included, and exposes Hidden-Nodes', async () => {
    const url = await serve([APP]);
    const health = await fetch(`${url}/health`, { headers: { Origin: APP } });
    expect(health.status).to.equal(200);
    expect(health.headers.get('access-control-allow-origin')).to.equal(APP);
    expect(health.headers.get('access-control-expose-headers')).to.include('Hidden-Nodes');
    const missing = await fetch(`${url}/api/nowhere/x/latest`, { headers: { Origin: APP } });
    expect(missing.status).to.equal(404);
    expect(missing.headers.get('access-control-allow-origin')).to.equal(APP);
    expect(((await missing.json()) as { message: string }).message).to.include("no realm 'nowhere'");
  });

  it('an unlisted origin gets no CORS headers, neither on a preflight nor on an answer; Vary: Origin all the same', async () => {
    const url = await serve([APP]);
    const pre = await preflight(`${url}/api/wan/net/gw/node/data`, STRANGER);
    expect(pre.headers.get('access-control-allow-origin')).to.equal(null);
    expect(pre.headers.get('access-control-allow-methods')).to.equal(null);
    const res = await fetch(`${url}/health`, { headers: { Origin: STRANGER } });
    expect(res.status).to.equal(200);
    expect(res.headers.get('access-control-allow-origin')).to.equal(null);
    expect(res.headers.get('vary')).to.match(/Origin/);
    // A request without Origin (curl, a server) is answered as always.
    const plain = await fetch(`${url}/health`);
    expect(plain.status).to.equal(200);
    expect(plain.headers.get('access-control-allow-origin')).to.equal(null);
  });

  it("'*' lets any origin read: Access-Control-Allow-Origin: *", async () => {
    const url = await serve(['*']);
    const pre = await preflight(`${url}/api/wan/net/gw/node/data`, STRANGER);
    expect(pre.status).to.equal(204);
    expect(pre.headers.get('access-control-allow-origin')).to.equal('*');
    const res = await fetch(`${url}/measurements/latest`, { headers: { Origin: STRANGER } });
    // No realm serves the ISEMS API here: a 404 the script may read.
    expect(res.status).to.equal(404);
    expect(res.headers.get('access-control-allow-origin')).to.equal('*');
  });

  it('without cors_origins there are no CORS headers at all', async () => {
    const url = await serve(undefined);
    const res = await fetch(`${url}/health`, { headers: { Origin: APP } });
    expect(res.headers.get('access-control-allow-origin')).to.equal(null);
    const pre = await preflight(`${url}/health`, APP);
    expect(pre.headers.get('access-control-allow-origin')).to.equal(null);
  });
});
