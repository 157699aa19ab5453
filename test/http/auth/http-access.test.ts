import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createLog } from '../../../lib/core/log.js';
import { Metrics } from '../../../lib/core/metrics.js';
import { hashSecret } from '../../../lib/http/auth/secret-hash.js';
import { HttpServer } from '../../../lib/http/server.js';

describe('HttpAccess in the HTTP server (in process)', function () {
  this.timeout(30_000);
  let dir = '';
  let server: HttpServer;
  let url = '';
  const lines: string[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-http-access-'));
    const file = path.join(dir, 'access.ini');
    await writeFile(file, `[users]\nops = ${await hashSecret('right')}\n[realm:*]\nadmin = ops\n`);
    const log = createLog('info');
    // What the server logs, to look for secrets and count refusals.
    for (const level of ['warning', 'error', 'notice', 'info'] as const) {
      log[level] = (line: string) => {
        lines.push(line);
      };
    }
    server = new HttpServer({
      listen: '127.0.0.1',
      port: 0,
      log,
      health: async () => ({ ok: true, detail: 'x' }),
      settings: {
        http: { max_body_size: 4096, access_file: file },
        daqd: { data_dir: dir, timezone: 'UTC', shutdown_timeout: 1 },
      },
      ready: () => true,
      channel: () => undefined,
      sink: () => undefined,
      metrics: new Metrics({ channels: () => [], queueDepth: () => 0 }),
    });
    await server.start();
    url = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (user: string, secret: string) =>
    fetch(`${url}/metrics`, {
      headers: { authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` },
    }).then((r) => r.status);

  it('answers a burst of new wrong secrets and unknown users with 401, and the right one with 200', async () => {
    const wrong = Array.from({ length: 8 }, (_, i) => get(i % 2 === 0 ? 'ops' : `ghost${i}`, `wrong-${i}`));
    const right = Array.from({ length: 4 }, () => get('ops', 'right'));
    expect(await Promise.all(wrong)).to.deep.equal(Array(8).fill(401));
    expect(await Promise.all(right)).to.deep.equal([200, 200, 200, 200]);
    expect(await get('OPS', 'right'), 'user names in any case').to.equal(200);
    const refusals = lines.filter((l) => l.startsWith('http: refused'));
    expect(refusals, 'one line per source per minute').to.have.length(1);
    expect(refusals[0]).to.match(
      /http: refused 127\.0\.0\.1: (wrong secret for user 'ops'|unknown user 'ghost\d')/,
    );
    expect(lines.join('\n')).not.to.match(/wrong-\d|right/);
  });

  it('takes checked secrets from the cache: repeated requests cost no scrypt run', async () => {
    const started = performance.now();
    for (let i = 0; i < 50; i++) expect(await get('ops', 'right')).to.equal(200);
    // 50 scrypt runs would take seconds; cached, the loop takes milliseconds per request.
    expect(performance.now() - started).to.be.below(2500);
  });
});
