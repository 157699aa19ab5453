import { readFile, writeFile } from 'node:fs/promises';
import { expect } from 'chai';
import type { DaemonProcess } from '../../support/daqd.js';
import { AuthStack, passwd } from './auth-stack.js';

/** Every route path the daqd process mounts, from its `http: routes:` debug line (`--debug-io`). */
function mountedPaths(output: string): string[] {
  const line = /http: routes: (.*)/.exec(output)?.[1];
  expect(line, 'daqd lists its routes at debug level').to.be.a('string');
  return [...new Set(line!.split(', ').map((route) => route.slice(route.indexOf(' ') + 1)))];
}

/** 'listing': open to all, listing only the realms the client may read (the web view's overview). */
type Need = { realm: string; scope: 'read' | 'write' | 'admin' } | 'health' | 'public' | 'listing';

interface Case {
  name: string;
  method: string;
  url: string;
  body?: string;
  need: Need;
  /** An event stream: only its status and headers are read. */
  stream?: boolean;
}

const LINE = (v: number) => `weather,station=a temp=${v}`;
const READING = JSON.stringify({ temperature: 21.5, humidity: 40 });

/** The requests that stand for each mounted path; a path without any fails the test. */
const CASES: Record<string, Case[]> = {
  '/health': [{ name: 'health', method: 'GET', url: '/health', need: 'health' }],
  '/metrics': [{ name: 'metrics', method: 'GET', url: '/metrics', need: { realm: '*', scope: 'admin' } }],
  '/ping': [{ name: 'InfluxDB ping', method: 'GET', url: '/ping', need: 'public' }],
  '/write': [
    {
      name: 'InfluxDB 1.x write',
      method: 'POST',
      url: '/write?db=private_lp',
      body: LINE(1),
      need: { realm: 'private', scope: 'write' },
    },
  ],
  '/api/v2/write': [
    {
      name: 'InfluxDB 2.x write',
      method: 'POST',
      url: '/api/v2/write?bucket=private_lp&org=x',
      body: LINE(2),
      need: { realm: 'private', scope: 'write' },
    },
  ],
  '/api/*rest': [
    {
      name: 'ingest',
      method: 'POST',
      url: '/api/private/net/gw/node/data',
      body: READING,
      need: { realm: 'private', scope: 'write' },
    },
    {
      name: 'export',
      method: 'GET',
      url: '/api/private/net/gw/node/data.json?from=2000-01-01',
      need: { realm: 'private', scope: 'read' },
    },
    {
      name: 'latest',
      method: 'GET',
      url: '/api/private/net/latest',
      need: { realm: 'private', scope: 'read' },
    },
  ],
  '/': [{ name: 'web view overview page', method: 'GET', url: '/', need: 'public' }],
  '/node': [
    {
      name: 'web view node page',
      method: 'GET',
      url: '/node?realm=private&address=net/gw/node',
      need: 'public',
    },
  ],
  '/assets/:name': [{ name: 'web view asset', method: 'GET', url: '/assets/style.css', need: 'public' }],
  '/view/overview.json': [
    { name: 'web view realms', method: 'GET', url: '/view/overview.json', need: 'listing' },
  ],
  '/view/node.json': [
    {
      name: 'web view node',
      method: 'GET',
      url: '/view/node.json?realm=private&address=net/gw/node',
      need: { realm: 'private', scope: 'read' },
    },
  ],
  '/view/live': [
    {
      name: 'web view live readings',
      method: 'GET',
      url: '/view/live?realm=private&address=net/gw/node',
      need: { realm: 'private', scope: 'read' },
      stream: true,
    },
  ],
  '/poll/:realm': [{ name: 'one polling round now', method: 'POST', url: '/poll/open', need: 'public' }],
  '/measurements/latest': [
    {
      name: 'ISEMS API, every node',
      method: 'GET',
      url: '/measurements/latest?all=true',
      need: { realm: 'private', scope: 'read' },
    },
  ],
  '/measurements/:nodeId/latest': [
    {
      name: 'ISEMS API, one node',
      method: 'GET',
      url: '/measurements/Elektra-Dach/latest',
      need: { realm: 'private', scope: 'read' },
    },
  ],
};

const SECRETS = {
  writer: 'w-Pa55word!writer',
  reader: 'r-Pa55word!reader',
  ops: 'o-Pa55word!ops',
  nobody: 'n-Pa55word!nobody',
};
/** Who holds a scope, and who is known but lacks it. */
const HOLDER = { write: 'writer', read: 'reader', admin: 'ops' } as const;
const LACKER = { write: 'reader', read: 'writer', admin: 'writer' } as const;

const basic = (user: string, secret: string) =>
  `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;

describe('HTTP authentication per realm (daqd process)', function () {
  this.timeout(120_000);
  const stack = new AuthStack(['private', 'open'], ['access_file = access.ini'], '127.0.0.1', {
    private: 'isems_api = true\n',
    // A node that is never there: the round reports it down, and still answers 200.
    open: 'poll_urls = http://127.0.0.1:9/log\npoll_topic = open/net/gw/node/data.json\n',
  });
  let daemon: DaemonProcess;
  let token = '';
  const bodies: string[] = [];
  let startedAt = 0;

  async function call(c: Pick<Case, 'method' | 'url' | 'body' | 'stream'>, authorization?: string) {
    const headers: Record<string, string> = {};
    if (authorization !== undefined) headers['authorization'] = authorization;
    if (c.body !== undefined)
      headers['content-type'] =
        c.url.startsWith('/api/') && !c.url.includes('/v2/') ? 'application/json' : 'text/plain';
    const aborting = new AbortController();
    const res = await fetch(`http://127.0.0.1:${stack.httpPort}${c.url}`, {
      method: c.method,
      headers,
      body: c.body,
      signal: aborting.signal,
    });
    const streaming = c.stream === true && res.status === 200;
    if (streaming) aborting.abort();
    const text = streaming ? '' : await res.text();
    bodies.push(text);
    return { status: res.status, text, challenge: res.headers.get('www-authenticate') };
  }

  before(async () => {
    await stack.prepare();
    const file = stack.file('access.ini');
    for (const [user, secret] of Object.entries(SECRETS)) {
      const made = await passwd(['--access-file', file, user], `${secret}\n`);
      expect(made.code, made.stderr).to.equal(0);
      expect(made.stdout + made.stderr).not.to.include(secret);
    }
    const made = await passwd(['--access-file', file, '--token', 'sensor'], '');
    expect(made.code, made.stderr).to.equal(0);
    token = /token \(shown once\): (\S+)/.exec(made.stdout)?.[1] ?? '';
    expect(token).to.match(/^sensor\.[A-Za-z0-9_-]{43}$/);
    const users = await readFile(file, 'utf8');
    for (const secret of [...Object.values(SECRETS), token])
      expect(users).not.to.include(secret.split('.').pop());
    await writeFile(
      file,
      `${users}\n[realm:private]\nwrite = writer\nread = reader\n\n[realm:open]\nread = anonymous\nwrite = sensor\n\n[realm:*]\nadmin = ops\n`,
    );
    startedAt = Date.now();
    // --debug-io: the routes are listed, and every debug line of the HTTP API is searched for secrets too.
    daemon = await stack.start(['--debug-io']);
  });
  after(async () => {
    await stack.stop();
  });

  it('answers every mounted route: 401 without or with wrong credentials, 403 without the scope, 2xx with it', async () => {
    const paths = mountedPaths(daemon.output);
    expect(paths.length).to.be.greaterThan(3);
    const uncovered = paths.filter((p) => CASES[p] === undefined);
    expect(uncovered, 'routes without an access case: add them to CASES (and to routeNeed)').to.deep.equal(
      [],
    );
    for (const p of paths) {
      for (const c of CASES[p]!) {
        const need = c.need;
        const right = need === 'listing' ? 'reader' : typeof need === 'string' ? 'ops' : HOLDER[need.scope];
        const lacking = typeof need === 'string' ? 'nobody' : LACKER[need.scope];
        const none = await call(c);
        const wrong = await call(c, basic(right, 'not-the-password'));
        const without = await call(c, basic(lacking, SECRETS[lacking]));
        const ok = await call(c, basic(right, SECRETS[right]));
        const label = `${c.name} ${c.method} ${c.url}`;
        expect(wrong.status, `${label} wrong: ${wrong.text}`).to.equal(401);
        expect(wrong.challenge, label).to.match(/^Bearer realm="daqd", Basic realm="daqd"/);
        expect(ok.status, `${label} right: ${ok.text}`).to.be.within(200, 299);
        if (need === 'public') {
          expect(none.status, label).to.be.within(200, 299);
          expect(without.status, label).to.be.within(200, 299);
        } else if (need === 'listing') {
          const realms = (text: string) =>
            (JSON.parse(text) as { realms: { realm: string }[] }).realms.map((r) => r.realm);
          expect(none.status, label).to.equal(200);
          expect(realms(none.text), `${label}: anonymous sees the anonymous realm only`).to.deep.equal([
            'open',
          ]);
          expect(realms(ok.text), `${label}: the reader sees both`).to.deep.equal(['open', 'private']);
        } else if (need === 'health') {
          expect(none.status, label).to.equal(200);
          expect(JSON.parse(none.text), 'status only without admin').to.deep.equal({ ok: true });
          expect(JSON.parse(without.text)).to.deep.equal({ ok: true });
          expect(Object.keys(JSON.parse(ok.text)).length, 'details for admin').to.be.greaterThan(1);
        } else {
          expect(none.status, `${label} none: ${none.text}`).to.equal(401);
          expect(none.challenge, label).to.match(/Basic realm="daqd"/);
          expect(without.status, `${label} without scope: ${without.text}`).to.equal(403);
        }
      }
    }
  });

  it('lets anyone read an anonymous realm, and only the token holder write into it', async () => {
    const post = { method: 'POST', url: '/api/open/net/gw/node/data', body: READING };
    expect((await call(post)).status).to.equal(401);
    expect((await call(post, `Bearer ${token}`)).status).to.equal(200);
    const [name, secret] = [token.slice(0, token.lastIndexOf('.')), token.slice(token.lastIndexOf('.') + 1)];
    expect((await call(post, basic(name, secret))).status, 'the token works as Basic too').to.equal(200);
    expect((await call(post, `Bearer ${name}.wrong`)).status).to.equal(401);
    expect((await call(post, basic('reader', SECRETS.reader))).status).to.equal(403);
    const read = await call({ method: 'GET', url: '/api/open/net/gw/node/data.json?from=2000-01-01' });
    expect(read.status, read.text).to.equal(200);
    expect(JSON.parse(read.text)).to.have.length(2);
    expect((await call({ method: 'GET', url: '/api/private/net/gw/node/data.json' })).status).to.equal(401);
  });

  it("takes InfluxDB's credential forms on its write API, answering in InfluxDB's words", async () => {
    const secret = token.slice(token.lastIndexOf('.') + 1);
    const v1 = (query: string, authorization?: string) =>
      call({ method: 'POST', url: `/write?db=open_lp${query}`, body: LINE(3) }, authorization);
    expect((await v1(`&u=sensor&p=${secret}`)).status).to.equal(204);
    expect((await v1('', basic('sensor', secret))).status).to.equal(204);
    expect((await v1('', `Token ${token}`)).status).to.equal(204);
    expect((await v1('', `Token sensor:${secret}`)).status).to.equal(204);
    const wrong = await v1('&u=sensor&p=wrong');
    expect(wrong.status).to.equal(401);
    expect(JSON.parse(wrong.text)).to.deep.equal({ error: 'authentication failed' });
    expect((await v1('')).status).to.equal(401);
    expect((await v1(`&u=reader&p=${SECRETS.reader}`)).status).to.equal(403);
    const v2 = await call(
      { method: 'POST', url: '/api/v2/write?bucket=open_lp&org=x', body: LINE(4) },
      `Token ${token}`,
    );
    expect(v2.status, v2.text).to.equal(204);
    const v2wrong = await call(
      { method: 'POST', url: '/api/v2/write?bucket=open_lp&org=x', body: LINE(4) },
      'Token sensor.nope',
    );
    expect(v2wrong.status).to.equal(401);
    expect(JSON.parse(v2wrong.text)).to.deep.equal({
      code: 'unauthorized',
      message: 'authentication failed',
    });
  });

  it('reads the access file again on SIGHUP under load without failing a request', async () => {
    let stop = false;
    const statuses: number[] = [];
    const load = async (worker: number) => {
      let n = 0;
      while (!stop) {
        const res = await call(
          {
            method: 'POST',
            url: `/api/private/net/gw/load-${worker}/data`,
            body: JSON.stringify({ n: n++ }),
          },
          basic('writer', SECRETS.writer),
        );
        statuses.push(res.status);
      }
    };
    const workers = [0, 1, 2, 3].map(load);
    try {
      const file = stack.file('access.ini');
      for (let round = 0; round < 3; round++) {
        const made = await passwd(['--access-file', file, `late${round}`], `late-secret-${round}\n`);
        expect(made.code, made.stderr).to.equal(0);
        const mark = daemon.output.length;
        daemon.signal('SIGHUP');
        await daemon.waitFor(/access file read again/, 10_000, mark);
        expect(
          (await call({ method: 'GET', url: '/metrics' }, basic(`late${round}`, `late-secret-${round}`)))
            .status,
        ).to.equal(403);
      }
      // A broken file leaves the rules in use.
      const good = await readFile(file, 'utf8');
      await writeFile(file, `${good}\n[realm:private]\nwrite = ghost\n`);
      const mark = daemon.output.length;
      daemon.signal('SIGHUP');
      await daemon.waitFor(/the access rules in use stay/, 10_000, mark);
      expect((await call({ method: 'GET', url: '/metrics' }, basic('ops', SECRETS.ops))).status).to.equal(
        200,
      );
      await writeFile(file, good);
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    expect(statuses.length).to.be.greaterThan(20);
    expect(
      statuses.filter((s) => s !== 200),
      'every request under reload answered 200',
    ).to.deep.equal([]);
  });

  it('keeps every secret out of logs, /health, /metrics and error bodies; logs refusals once a minute per source', async () => {
    const health = await call({ method: 'GET', url: '/health' }, basic('ops', SECRETS.ops));
    const metrics = await call({ method: 'GET', url: '/metrics' }, basic('ops', SECRETS.ops));
    expect(health.status).to.equal(200);
    expect(metrics.status).to.equal(200);
    const secrets = [...Object.values(SECRETS), token, token.slice(token.lastIndexOf('.') + 1)];
    const seen = [...bodies, daemon.output].join('\n');
    for (const secret of secrets) expect(seen, 'a secret was shown').not.to.include(secret);
    expect(seen).not.to.include(Buffer.from(`writer:${SECRETS.writer}`).toString('base64'));
    const refusals = daemon.output.match(/http: refused 127\.0\.0\.1: /g) ?? [];
    const minutes = Math.floor((Date.now() - startedAt) / 60_000);
    expect(refusals.length).to.be.within(1, 1 + minutes);
  });
});
