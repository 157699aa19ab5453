import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { DeadLetterStore } from '../../lib/acquire/deliver/dead-letter.js';
import { SqliteSink } from '../../lib/acquire/sink/sqlite.js';
import { silentLog } from '../../lib/core/log.js';
import { DaemonProcess, freePort, ROOT } from '../support/daqd.js';
import { eventually } from '../support/eventually.js';
import { ApiStack } from './harness.js';

// A realm with HTTP ingest takes InfluxDB writes to its databases `tele_<anything>`.
const TELE = `[tele]
type = application
realm = tele
application = mqttkit
http_api = true
`;
// Telegraf's outputs write to database `telegraf` unless told otherwise: the shipped app, realm `telegraf`.
const TELEGRAF = readFileSync(path.join(ROOT, 'apps-available/telegraf.ini'), 'utf8');
const QUIET = `[quiet]
type = application
realm = quiet
application = mqttkit
`;

/**
 * Every escaping rule of line protocol (InfluxDB's reference, "Special characters"), with Telegraf's
 * kinds of values: spaces, commas and `=` in measurement, tag keys, tag values and field keys; quotes,
 * backslashes, commas, `=` and a newline in string values; backslashes before other characters (kept);
 * integers, floats, booleans in every spelling, strings; nanosecond timestamps.
 */
const ESCAPES = [
  String.raw`weather\ station,loc\,ation=us\ west,ta\=g=v\=al temp\ c=21.5,hum\,x=55i,st\=at="a \"quoted\" str\\ing, with = signs" 1700000000123456789`,
  String.raw`m=eq\,ual,path=C:\temp\dir f\x=1.5e3,neg=-42i,big=9223372036854775807i,small=-9223372036854775808i 1700000000123456790`,
  'bools a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE 1700000000000000001',
  'multi s="line one\nline two",e="",u="ünïcödé ☃" 1700000000000000002',
  String.raw`back\slash,t\ag=v\al fi\eld="x\y" 1700000000000000003`,
  '# a comment line',
  '',
  '   floats a=1,b=-0.5,c=.5,d=1.,e=1e-3,f=-1.5E+10 1700000000000000004',
].join('\n');

describe('InfluxDB write API (real influxd, daqd process)', function () {
  this.timeout(90_000);
  const stack = new ApiStack({ tele: TELE, telegraf: TELEGRAF, quiet: QUIET });

  before(() => stack.start());
  after(() => stack.stop());

  /** POSTs to influxd itself. */
  function influxWrite(query: string, body: string | Buffer, headers: Record<string, string> = {}) {
    return fetch(`${stack.influx.url}/write?${query}`, { method: 'POST', body, headers });
  }

  function daqdWrite(pathAndQuery: string, body: string | Buffer, headers: Record<string, string> = {}) {
    return stack.fetch(pathAndQuery, { method: 'POST', body, headers });
  }

  /** A database as influxd holds it, as text: measurements, tag and field keys with types, every row (CSV, ns). */
  async function dump(database: string): Promise<string> {
    const q = async (statement: string) => {
      const url = `${stack.influx.url}/query?db=${encodeURIComponent(database)}&epoch=ns&q=${encodeURIComponent(statement)}`;
      const res = await fetch(url, { headers: { Accept: 'application/csv' } });
      expect(res.status, statement).to.equal(200);
      return res.text();
    };
    const measurements = (await q('SHOW MEASUREMENTS'))
      .split('\n')
      .slice(1)
      .filter((line) => line !== '')
      .map((line) => csvCell(line.slice(line.indexOf(',,') + 2)));
    let out = '';
    for (const m of measurements) {
      const name = `"${m.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
      out += `## ${m}\n${await q(`SHOW TAG KEYS FROM ${name}`)}${await q(`SHOW FIELD KEYS FROM ${name}`)}`;
      out += await q(`SELECT * FROM ${name}`);
    }
    return out;
  }

  async function reference(database: string, query: string, body: string): Promise<string> {
    await stack.influx.query(`CREATE DATABASE "${database}"`);
    const res = await influxWrite(`db=${database}&${query}`, body);
    expect(res.status, await res.text()).to.equal(204);
    return dump(database);
  }

  it('stores every escaping rule and value type through /write exactly as influxd stores the same body', async () => {
    const res = await daqdWrite('/write?db=tele_escapes&u=someone&p=secret', ESCAPES);
    expect(res.status, await res.text()).to.equal(204);
    const ours = await dump('tele_escapes');
    const theirs = await reference('ref_escapes', '', ESCAPES);
    expect(ours).to.equal(theirs);
    // And what that is, spelled out for a few of them.
    expect(ours).to.include('weather station');
    expect(ours).to.include('"a ""quoted"" str\\ing, with = signs"');
    expect(ours).to.include('9223372036854775807');
    expect(ours).to.include('-9223372036854775808');
    expect(ours).to.include('1700000000123456789');
    expect(ours).to.include('"hum,x",integer');
    expect(ours).to.include('temp c,float');
    expect(ours).to.include('path,');
    expect(ours).to.include('C:\\temp\\dir');
    expect(ours).to.match(/a,boolean/);
  });

  for (const [precision, stamp, ns] of [
    ['ns', '1700000000123456789', '1700000000123456789'],
    ['n', '1700000000123456789', '1700000000123456789'],
    ['u', '1700000000123456', '1700000000123456000'],
    ['ms', '1700000000123', '1700000000123000000'],
    ['s', '1700000000', '1700000000000000000'],
    ['m', '28333333', '1699999980000000000'],
    ['h', '472222', '1699999200000000000'],
  ] as const) {
    it(`reads timestamps of precision=${precision} through /write as influxd does`, async () => {
      const body = `prec,p=${precision} v=1i,w="x" ${stamp}\nprec,p=${precision}-neg v=2i -${stamp}`;
      const res = await daqdWrite(`/write?db=tele_prec_${precision}&precision=${precision}`, body);
      expect(res.status, await res.text()).to.equal(204);
      const ours = await dump(`tele_prec_${precision}`);
      expect(ours).to.include(`,${ns},`);
      expect(ours).to.include(`,-${ns},`);
      expect(ours).to.equal(await reference(`ref_prec_${precision}`, `precision=${precision}`, body));
    });
  }

  for (const [v2, v1] of [
    ['ns', 'ns'],
    ['us', 'u'],
    ['ms', 'ms'],
    ['s', 's'],
  ] as const) {
    it(`stores through /api/v2/write (precision=${v2}, Token auth) as influxd's /write stores the same body`, async () => {
      const body = ESCAPES.replace(
        / (\d+)$/gm,
        (_all, t: string) => ` ${t.slice(0, t.length - suffixDigits(v2))}`,
      );
      const res = await daqdWrite(`/api/v2/write?org=my-org&bucket=tele_v2_${v2}&precision=${v2}`, body, {
        Authorization: 'Token my-token',
      });
      expect(res.status, await res.text()).to.equal(204);
      expect(await dump(`tele_v2_${v2}`)).to.equal(await reference(`ref_v2_${v2}`, `precision=${v1}`, body));
    });
  }

  it('takes a gzip body (Telegraf sends gzip by default)', async () => {
    const body =
      'gz,host=a value=1.25,n=7i 1700000000000000000\ngz,host=b value=2.5,n=8i 1700000000000000000';
    const res = await daqdWrite('/write?db=tele_gzip&precision=ns', gzipSync(body), {
      'Content-Encoding': 'gzip',
    });
    expect(res.status, await res.text()).to.equal(204);
    expect(await dump('tele_gzip')).to.equal(await reference('ref_gzip', '', body));
  });

  it('stamps lines without a timestamp with the time the request arrived', async () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const res = await daqdWrite('/write?db=tele_now', 'now v=1\nnow,x=y v=2');
    expect(res.status).to.equal(204);
    const after = BigInt(Date.now()) * 1_000_000n;
    const rows = (await dump('tele_now')).split('\n').filter((line) => /^now,,\d+,/.test(line));
    expect(rows).to.have.length(2);
    const times = rows.map((row) => BigInt(row.split(',')[2]!));
    for (const t of times) expect(t >= before && t <= after, String(t)).to.equal(true);
    // One time for the whole request, as InfluxDB does.
    expect(times[0]).to.equal(times[1]);
  });

  async function errorOf(res: Response): Promise<{ status: number; body: Record<string, string> }> {
    const text = await res.text();
    expect(res.headers.get('content-type'), text).to.match(/^application\/json/);
    return { status: res.status, body: JSON.parse(text) as Record<string, string> };
  }

  it('answers a bad line as influxd does: 400 with its error, nothing stored', async () => {
    const body = 'bad line without fields';
    await stack.influx.query('CREATE DATABASE "ref_bad"');
    const theirs = await errorOf(await influxWrite('db=ref_bad', body));
    const ours = await errorOf(await daqdWrite('/write?db=tele_bad', body));
    expect(ours.status).to.equal(400);
    expect(ours.status).to.equal(theirs.status);
    expect(Object.keys(ours.body)).to.deep.equal(Object.keys(theirs.body));
    expect(ours.body['error']).to.match(/^unable to parse 'bad line without fields': /);
    expect(theirs.body['error']).to.match(/^unable to parse 'bad line without fields': /);
    expect(await stack.databases()).not.to.include('tele_bad');
  });

  it('stores the good lines of a body with a bad one and answers 400 partial write, as influxd does', async () => {
    const body =
      'part v=1i 1700000000000000000\npart v=oops 1700000000000000001\npart v=3i 1700000000000000002';
    await stack.influx.query('CREATE DATABASE "ref_part"');
    const theirs = await errorOf(await influxWrite('db=ref_part', body));
    const ours = await errorOf(await daqdWrite('/write?db=tele_part', body));
    expect(ours.status).to.equal(theirs.status);
    expect(ours.body['error']).to.match(/^partial write: unable to parse 'part v=oops 1700000000000000001'/);
    expect(theirs.body['error']).to.match(
      /^partial write: unable to parse 'part v=oops 1700000000000000001'/,
    );
    expect(await dump('tele_part')).to.equal(await dump('ref_part'));
  });

  it('keeps a line whose field type conflicts as a dead letter, stores the others, and answers 400', async () => {
    const first = await daqdWrite('/write?db=tele_types', 'typed v=1i 1700000000000000000');
    expect(first.status, await first.text()).to.equal(204);
    const body =
      'typed v=2i 1700000000000000001\ntyped v=2.5 1700000000000000002\ntyped v=3i 1700000000000000003';
    const ours = await errorOf(await daqdWrite('/write?db=tele_types', body));
    expect(ours.status).to.equal(400);
    expect(ours.body['error']).to.match(/^partial write: .*conflict/);
    const rows = await stack.select('tele_types', 'typed');
    expect(rows.map((row) => row['v'])).to.deep.equal([1, 2, 3]);
    const letters = await new DeadLetterStore({ dataDir: path.join(stack.dir, 'var') }).read('tele_types');
    expect(letters.letters.map((letter) => letter.point)).to.deep.equal([
      { measurement: 'typed', tags: {}, fields: { v: 2.5 }, time: 1700000000000000002n },
    ]);
  });

  it('refuses unsigned integers (1u) as influxd 1.x does: 400, nothing stored', async () => {
    const body = 'unsigned v=1u 1700000000000000000';
    await stack.influx.query('CREATE DATABASE "ref_unsigned"');
    const theirs = await errorOf(await influxWrite('db=ref_unsigned', body));
    const ours = await errorOf(await daqdWrite('/write?db=tele_unsigned', body));
    expect(theirs.status).to.equal(400);
    expect(ours.status).to.equal(400);
    expect(ours.body['error']).to.match(/unsigned/);
    expect(await stack.databases()).not.to.include('tele_unsigned');
  });

  it('answers a database no realm takes with 404 database not found, as influxd does', async () => {
    for (const db of ['nobody_here', 'quiet_net', 'tele_', 'Tele_Upper', 'tele_a.b']) {
      const theirs = await errorOf(await influxWrite(`db=${db}`, 'x v=1'));
      const ours = await errorOf(await daqdWrite(`/write?db=${encodeURIComponent(db)}`, 'x v=1'));
      expect(ours, db).to.deep.equal(theirs);
      expect(ours.body['error']).to.equal(`database not found: "${db}"`);
    }
    const v2 = await errorOf(await daqdWrite('/api/v2/write?org=o&bucket=nobody_here', 'x v=1'));
    expect(v2).to.deep.equal({
      status: 404,
      body: { code: 'not found', message: 'bucket "nobody_here" not found' },
    });
  });

  it('answers a missing database and a bad precision with 400 and InfluxDB error bodies', async () => {
    const noDb = await errorOf(await daqdWrite('/write', 'x v=1'));
    const theirsNoDb = await errorOf(await influxWrite('', 'x v=1'));
    expect(noDb).to.deep.equal(theirsNoDb);
    // Different on purpose: influxd 1.x reads an unknown precision as nanoseconds, storing wrong times.
    const bad = await errorOf(await daqdWrite('/write?db=tele_precision&precision=fortnight', 'x v=1 1'));
    expect(bad.status).to.equal(400);
    expect(bad.body['error']).to.match(/precision/);
    // InfluxDB 2.x takes ns, us, ms and s only.
    const badV2 = await errorOf(
      await daqdWrite('/api/v2/write?bucket=tele_precision&precision=h', 'x v=1 1'),
    );
    expect(badV2.status).to.equal(400);
    expect(badV2.body).to.deep.equal({
      code: 'invalid',
      message: 'invalid precision; valid precision units are ns, us, ms, and s',
    });
    expect(await stack.databases()).not.to.include('tele_precision');
  });

  it("takes Telegraf's default database `telegraf` into the realm `telegraf`", async () => {
    const body = 'cpu,cpu=cpu-total,host=box usage_idle=97.5,usage_user=1.25 1700000000000000000';
    const res = await daqdWrite('/write?db=telegraf', gzipSync(body), { 'Content-Encoding': 'gzip' });
    expect(res.status, await res.text()).to.equal(204);
    expect(await dump('telegraf')).to.equal(await reference('ref_telegraf', '', body));
  });

  it("takes line protocol as text/plain on a node's path: the node's database and measurement, the line's time", async () => {
    const res = await stack.post(
      '/api/tele/lpnet/gw/node-1/data',
      'text/plain; charset=utf-8',
      'anything,site=roof temperature=21.5,count=3i 1700000000123456789\nanything v=oops',
    );
    expect(res.status).to.equal(400);
    expect(await res.json()).to.deep.equal({
      type: 'error',
      message: "line 2: unable to parse 'anything v=oops': invalid field value 'oops' of 'v'",
    });
    const ok = await stack.post(
      '/api/tele/lpnet/gw/node-1/data',
      'text/plain; charset=utf-8',
      'anything,site=roof temperature=21.5,count=3i 1700000000123456789',
    );
    expect(ok.status, await ok.text()).to.equal(200);
    expect(await stack.select('tele_lpnet', 'gw_node_1_sensors')).to.deep.equal([
      { time: '2023-11-14T22:13:20.123456789Z', count: 3, site: 'roof', temperature: 21.5 },
    ]);
  });

  it('answers /ping with 204 as InfluxDB does', async () => {
    const res = await stack.fetch('/ping');
    expect(res.status).to.equal(204);
    expect(res.headers.get('x-influxdb-version')).to.be.a('string');
  });
});

/** The text of one CSV cell as influxd writes it (quoted when it holds `,` or `"`). */
function csvCell(cell: string): string {
  return cell.startsWith('"') ? cell.slice(1, -1).replace(/""/g, '"') : cell;
}

describe('InfluxDB write API while InfluxDB is down (real influxd, daqd process)', function () {
  this.timeout(90_000);
  const stack = new ApiStack({ tele: TELE });

  before(() => stack.start());
  after(() => stack.stop());

  it('acknowledges a write once spooled and stores it exactly once influxd is back', async () => {
    await stack.influx.kill();
    const body = 'outage,site=a n=1i,v=0.5 1700000000000000000\noutage,site=a n=2i,v=1.5 1700000000000000001';
    const res = await stack.fetch('/write?db=tele_outage', { method: 'POST', body });
    expect(res.status, await res.text()).to.equal(204);
    await stack.influx.restart();
    const rows = await eventually(
      'the spooled points in influxd',
      async () => {
        const found = await stack.select('tele_outage', 'outage');
        return found.length === 2 ? found : undefined;
      },
      30_000,
    );
    expect(rows.map((row) => [row['n'], row['v'], row['site']])).to.deep.equal([
      [1, 0.5, 'a'],
      [2, 1.5, 'a'],
    ]);
    const keys = (await stack.influx.query('SHOW FIELD KEYS FROM "outage"', 'tele_outage')) as {
      results: { series?: { values: string[][] }[] }[];
    };
    expect(keys.results[0]?.series?.[0]?.values).to.deep.equal([
      ['n', 'integer'],
      ['v', 'float'],
    ]);
  });
});

/** Digits to cut from a nanosecond timestamp for a v2 precision. */
function suffixDigits(precision: 'ns' | 'us' | 'ms' | 's'): number {
  return { ns: 0, us: 3, ms: 6, s: 9 }[precision];
}

describe('InfluxDB write API into the embedded SQLite store (daqd process)', function () {
  this.timeout(60_000);
  let dir = '';
  let daemon: DaemonProcess | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-lp-sqlite-'));
    await mkdir(path.join(dir, 'apps'));
    await writeFile(path.join(dir, 'apps', 'tele.ini'), TELE);
  });
  after(async () => {
    await daemon?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores line protocol with its measurement, tags, types and nanoseconds', async () => {
    const port = await freePort();
    const config = path.join(dir, 'daqd.ini');
    await writeFile(
      config,
      `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\nshutdown_timeout = 5\n` +
        `[http]\nlisten = 127.0.0.1\nport = ${port}\n[mqtt]\nembedded = true\nport = ${await freePort()}\n` +
        '[storage]\nbackend = sqlite\n',
    );
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: 1 realm/, 20_000);
    const body = String.raw`air\ quality,room=living\ room,id=a\,b pm2\,5=12.5,count=42i,ok=true,note="say \"hi\"" 1700000000123456789`;
    const res = await fetch(`http://127.0.0.1:${port}/write?db=tele_sqlite`, { method: 'POST', body });
    expect(res.status, await res.text()).to.equal(204);
    await daemon.stop();
    daemon = undefined;

    const sink = new SqliteSink({ dataDir: path.join(dir, 'var'), log: silentLog() });
    await sink.start();
    try {
      expect(await sink.measurements('tele_sqlite')).to.deep.equal(['air quality']);
      const result = await sink.query({
        database: 'tele_sqlite',
        measurement: 'air quality',
        from: 0n,
        to: 2n ** 62n,
      });
      const rows: unknown[][] = [];
      for await (const row of result.rows) rows.push(row);
      expect(rows).to.have.length(1);
      const row = Object.fromEntries(result.columns.map((c, i) => [c, rows[0]![i + 1]]));
      expect(rows[0]![0]).to.equal(1700000000123456789n);
      expect(row).to.deep.equal({
        count: 42,
        id: 'a,b',
        note: 'say "hi"',
        ok: true,
        'pm2,5': 12.5,
        room: 'living room',
      });
    } finally {
      await sink.stop();
    }
  });
});
