import http from 'node:http';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { expect } from 'chai';
import { WriteBatcher } from '../../../lib/acquire/deliver/batcher.js';
import { DeadLetterStore } from '../../../lib/acquire/deliver/dead-letter.js';
import { InfluxSink } from '../../../lib/acquire/sink/influxdb.js';
import {
  quoteIdentifier,
  quoteLiteral,
  rfc3339ToNs,
  selectStatement,
} from '../../../lib/acquire/sink/influxql.js';
import type { Cell, QueryResult, SeriesQuery } from '../../../lib/acquire/sink/sink.js';
import type { InfluxSettings } from '../../../lib/config/settings.js';
import { StorageError } from '../../../lib/core/errors.js';
import type { Log } from '../../../lib/core/log.js';
import type { FieldValue, Point } from '../../../lib/core/point.js';
import { freePort, type InfluxdProcess, startInfluxd } from '../../support/influxd.js';
import { describeSinkContract } from './sink-contract.js';

const T = 1583810982123456789n;
const SECOND = 1_000_000_000n;

type Level = 'error' | 'warning' | 'notice' | 'info' | 'debug';
interface Captured {
  log: Log;
  lines: Array<{ level: Level; message: string }>;
  at(level: Level): string[];
}

function captureLog(): Captured {
  const lines: Captured['lines'] = [];
  const log: Log = {
    error: (message) => lines.push({ level: 'error', message }),
    warning: (message) => lines.push({ level: 'warning', message }),
    notice: (message) => lines.push({ level: 'notice', message }),
    info: (message) => lines.push({ level: 'info', message }),
    debug: (message) => lines.push({ level: 'debug', message }),
    isDebug: () => true,
    child: () => log,
  };
  return { log, lines, at: (level) => lines.filter((l) => l.level === level).map((l) => l.message) };
}

function settings(url: string, extra: Partial<InfluxSettings> = {}): InfluxSettings {
  return { url, flush_interval: 250, timeout: 5000, ...extra };
}

function pt(
  measurement: string,
  time: bigint,
  fields: Record<string, FieldValue>,
  tags: Record<string, string> = {},
): Point {
  return { measurement, tags, fields, time };
}

async function collect(result: QueryResult): Promise<Array<[bigint, ...Cell[]]>> {
  const rows: Array<[bigint, ...Cell[]]> = [];
  for await (const row of result.rows) rows.push(row);
  return rows;
}

async function rejection(promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(StorageError);
    return err as StorageError;
  }
  expect.fail('expected a StorageError');
}

interface ProxiedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** Answer bytes passed on to the client so far. */
  bytes: number;
  /** The upstream answer has ended. */
  ended: boolean;
}

interface Proxy {
  url: string;
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * A plain HTTP forwarder in front of influxd that records each request (and how far its answer got),
 * optionally rewriting the Authorization header on the way.
 */
async function startProxy(target: string, rewriteAuth?: (value: string) => string): Promise<Proxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const requests: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const record: ProxiedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
      bytes: 0,
      ended: false,
    };
    requests.push(record);
    const headers = { ...req.headers };
    delete headers.connection;
    if (rewriteAuth && headers.authorization) headers.authorization = rewriteAuth(headers.authorization);
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.on('data', (chunk: Buffer) => {
          record.bytes += chunk.length;
        });
        answer.on('end', () => {
          record.ended = true;
        });
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}

describeSinkContract('InfluxSink on influxd 1.6', async () => {
  const influxd = await startInfluxd();
  const sink = new InfluxSink({ settings: settings(influxd.url), log: captureLog().log });
  await sink.start();
  return {
    sink,
    cleanup: async () => {
      await sink.stop();
      await influxd.stop();
    },
  };
});

describe('InfluxSink against a real influxd', function () {
  this.timeout(60_000);
  let influxd: InfluxdProcess;
  let sink: InfluxSink;
  let captured: Captured;

  before(async () => {
    influxd = await startInfluxd();
    captured = captureLog();
    sink = new InfluxSink({ settings: settings(influxd.url), log: captured.log });
    await sink.start();
  });

  after(async () => {
    await sink?.stop();
    await influxd?.stop();
  });

  it('has kind influxdb, answers ping and logs the server version on start', async () => {
    expect(sink.kind).to.equal('influxdb');
    expect(await sink.ping()).to.equal(true);
    expect(captured.at('info').some((m) => m.includes('1.6'))).to.equal(true);
    expect(captured.at('warning')).to.deep.equal([]);
  });

  it('writes and reads back exact nanoseconds at every precision', async () => {
    const times = [
      T,
      1583810982123456000n,
      1583810982123000000n,
      1583810982000000000n,
      -1n,
      -86400n * SECOND,
    ];
    for (const [i, time] of times.entries()) await sink.write('exact', [pt('m', time, { i })]);
    const result = await sink.query({ database: 'exact', measurement: 'm', from: -(10n ** 18n), to: 2n * T });
    const rows = await collect(result);
    expect(result.columns).to.deep.equal(['i']);
    expect(rows.map((r) => r[0])).to.deep.equal([...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(rows.find((r) => r[0] === T)?.[1]).to.equal(0);
  });

  it('creates a database on first write', async () => {
    expect(await sink.measurements('fresh')).to.deep.equal([]);
    await sink.write('fresh', [pt('first', T, { v: 1 })]);
    expect(await sink.measurements('fresh')).to.deep.equal(['first']);
  });

  it('creates the database again when it was dropped behind its back', async () => {
    await sink.write('dropme', [pt('d', T, { v: 1 })]);
    await influxd.query('DROP DATABASE "dropme"');
    await sink.write('dropme', [pt('d', T + 1n, { v: 2 })]);
    const rows = await collect(
      await sink.query({ database: 'dropme', measurement: 'd', from: T, to: T + 1n }),
    );
    expect(rows).to.deep.equal([[T + 1n, 2]]);
  });

  it('stores numbers as floats, booleans and strings with quotes, backslashes and newlines', async () => {
    const fields = {
      int: 42,
      huge: 1e21,
      max: Number.MAX_VALUE,
      tiny: 5e-324,
      neg: -1e-7,
      yes: true,
      no: false,
      quoted: 'say "hi" \\o/ C:\\',
      multi: 'line 1\nline 2',
    };
    await sink.write('values', [pt('v', T, fields)]);
    const result = await sink.query({ database: 'values', measurement: 'v', from: T, to: T });
    const rows = await collect(result);
    expect(rows).to.have.length(1);
    const read = Object.fromEntries(result.columns.map((c, i) => [c, rows[0]![i + 1]]));
    expect(read).to.deep.equal(fields);
    // 42 went in as a float: a later 42.5 is no type conflict.
    await sink.write('values', [pt('v', T + 1n, { int: 42.5 })]);
    const keys = (await influxd.query('SHOW FIELD KEYS FROM "v"', 'values')) as {
      results: Array<{ series: Array<{ values: string[][] }> }>;
    };
    const types = Object.fromEntries(keys.results[0]!.series[0]!.values.map(([k, t]) => [k, t]));
    expect(types).to.include({ int: 'float', huge: 'float', yes: 'boolean', quoted: 'string' });
  });

  it('keeps measurement, field and tag names with commas, equals signs, spaces and quotes', async () => {
    const measurement = 'odd m,1=x "q"';
    const tags = { 'site name': 'a b,c=d', 'k"q': 'it\'s "x"' };
    const fields = { 'a,b': 1, 'c=d': 2, 'e f': 3, 'g"h': 4, "i'j": 'v' };
    await sink.write('names', [pt(measurement, T, fields, tags)]);
    expect(await sink.measurements('names')).to.deep.equal([measurement]);
    const result = await sink.query({ database: 'names', measurement, from: T, to: T, where: tags });
    const rows = await collect(result);
    expect(result.columns).to.have.members([...Object.keys(fields), ...Object.keys(tags)]);
    const read = Object.fromEntries(result.columns.map((c, i) => [c, rows[0]![i + 1]]));
    expect(read).to.deep.equal({ ...fields, ...tags });
  });

  it('turns a field type conflict into a non-retryable StorageError with influx’s words', async () => {
    await sink.write('conflict', [pt('c', T, { v: 1 })]);
    const err = await rejection(sink.write('conflict', [pt('c', T + 1n, { v: 'text' })]));
    expect(err.retryable).to.equal(false);
    expect(err.message)
      .to.match(/HTTP 400/)
      .and.match(/field type conflict/);
  });

  // The batcher alone decides how many points a write carries ([storage] batch_size); the sink sends each
  // write as one request.
  it('writes an add through the batcher in requests of at most batch_size points', async () => {
    const proxy = await startProxy(influxd.url);
    const small = new InfluxSink({ settings: settings(proxy.url), log: captureLog().log });
    const batcher = new WriteBatcher({
      sink: small,
      limits: { batch_size: 2, flush_interval: 60_000, flush_idle: 5 },
      log: captureLog().log,
      deadLetter: new DeadLetterStore({ dataDir: '/nonexistent/daqd-dead-letter' }),
    });
    try {
      await batcher.add(
        'split',
        [1n, 2n, 3n, 4n, 5n].map((i) => pt('s', T + i, { i: Number(i) })),
      );
      expect(proxy.requests.filter((r) => r.path.startsWith('/write')).map((r) => r.method)).to.deep.equal([
        'POST',
        'POST',
        'POST',
      ]);
      const creates = proxy.requests.filter((r) => r.path.startsWith('/query'));
      expect(creates).to.have.length(1);
      const rows = await collect(
        await small.query({ database: 'split', measurement: 's', from: 0n, to: 2n * T }),
      );
      expect(rows.map((r) => r[1])).to.deep.equal([1, 2, 3, 4, 5]);
    } finally {
      await batcher.stop(1000);
      await small.stop();
      await proxy.close();
    }
  });

  describe('query', () => {
    const t0 = 1_600_000_000n * SECOND;
    const q = (extra: Partial<SeriesQuery> = {}): SeriesQuery => ({
      database: 'qdb',
      measurement: 'q',
      from: t0,
      to: t0 + 9n * SECOND,
      ...extra,
    });

    before(async () => {
      const points: Point[] = [];
      for (let i = 0; i < 10; i++) {
        points.push(
          pt(
            'q',
            t0 + BigInt(i) * SECOND,
            { temp: i, hum: i * 2, note: `n${i}` },
            {
              node: i % 2 ? 'odd' : 'even',
              site: 'a b,c',
            },
          ),
        );
      }
      await sink.write('qdb', points);
    });

    it('reads all fields, then all tags, in time order', async () => {
      const result = await sink.query(q());
      expect(result.columns).to.deep.equal(['hum', 'note', 'temp', 'node', 'site']);
      const rows = await collect(result);
      expect(rows).to.have.length(10);
      expect(rows[3]).to.deep.equal([t0 + 3n * SECOND, 6, 'n3', 3, 'odd', 'a b,c']);
      expect(rows.map((r) => r[0])).to.deep.equal([...Array(10).keys()].map((i) => t0 + BigInt(i) * SECOND));
    });

    it('includes (in the given order) and excludes columns; unknown names are no error', async () => {
      const included = await sink.query(q({ include: ['temp', 'node', 'nope'] }));
      expect(included.columns).to.deep.equal(['temp', 'node']);
      expect((await collect(included))[1]).to.deep.equal([t0 + SECOND, 1, 'odd']);
      const excluded = await sink.query(q({ exclude: ['note', 'site', 'nope'] }));
      expect(excluded.columns).to.deep.equal(['hum', 'temp', 'node']);
      expect((await collect(excluded))[2]).to.deep.equal([t0 + 2n * SECOND, 4, 2, 'even']);
    });

    it('reads tag columns alone', async () => {
      const result = await sink.query(q({ include: ['node'] }));
      expect(result.columns).to.deep.equal(['node']);
      const rows = await collect(result);
      expect(rows).to.have.length(10);
      expect(rows[0]).to.deep.equal([t0, 'even']);
    });

    it('filters by tags and by inclusive time bounds', async () => {
      const odd = await collect(
        await sink.query(q({ where: { node: 'odd', site: 'a b,c' }, include: ['temp'] })),
      );
      expect(odd.map((r) => r[1])).to.deep.equal([1, 3, 5, 7, 9]);
      const none = await collect(await sink.query(q({ where: { node: 'odd', site: 'other' } })));
      expect(none).to.deep.equal([]);
      const window = await collect(
        await sink.query(q({ from: t0 + 2n * SECOND, to: t0 + 4n * SECOND, include: ['temp'] })),
      );
      expect(window.map((r) => r[1])).to.deep.equal([2, 3, 4]);
      const empty = await sink.query(q({ from: t0 + 5n * SECOND, to: t0 + 4n * SECOND }));
      expect(await collect(empty)).to.deep.equal([]);
    });

    it('orders descending and limits', async () => {
      const rows = await collect(await sink.query(q({ order: 'desc', limit: 3, include: ['temp'] })));
      expect(rows).to.deep.equal([
        [t0 + 9n * SECOND, 9],
        [t0 + 8n * SECOND, 8],
        [t0 + 7n * SECOND, 7],
      ]);
      const zero = await sink.query(q({ limit: 0 }));
      expect(zero.columns).to.have.length(5);
      expect(await collect(zero)).to.deep.equal([]);
    });

    it('answers a missing database or measurement with no columns and no rows', async () => {
      for (const missing of [q({ database: 'no_such_db' }), q({ measurement: 'no_such_measurement' })]) {
        const result = await sink.query(missing);
        expect(result.columns).to.deep.equal([]);
        expect(await collect(result)).to.deep.equal([]);
      }
      expect(await sink.measurements('no_such_db')).to.deep.equal([]);
    });

    it('cannot be made to run InfluxQL through names or values', async () => {
      await sink.write('victim', [pt('keep', T, { v: 1 })]);
      const evil = 'x" ; DROP DATABASE "victim';
      const evilDb = 'd" ; DROP DATABASE "victim';
      const quote = "a'b";
      await sink.write('inj', [pt(evil, T, { [evil]: 1, [quote]: 2 }, { [quote]: quote, [evil]: evil })]);
      await sink.write(evilDb, [pt('m', T, { v: 3 })]);

      const result = await sink.query({
        database: 'inj',
        measurement: evil,
        from: T,
        to: T,
        where: { [quote]: quote, [evil]: evil },
      });
      const rows = await collect(result);
      expect(result.columns).to.have.members([evil, quote]);
      expect(rows).to.have.length(1);
      const stray = await sink.query({
        database: 'inj',
        measurement: evil,
        from: T,
        to: T,
        where: { [quote]: "' OR 1=1 --" },
      });
      expect(await collect(stray)).to.deep.equal([]);
      expect(await sink.measurements(evilDb)).to.deep.equal(['m']);
      const other = await sink.query({ database: evilDb, measurement: 'm', from: T, to: T });
      expect(await collect(other)).to.deep.equal([[T, 3]]);
      expect(await sink.measurements('victim')).to.deep.equal(['keep']);
    });
  });

  it('streams 300k rows in order, the first one before influxd has finished answering', async () => {
    const n = 300_000;
    const step = 1000n;
    const points = Array.from({ length: n }, (_, i) =>
      pt('big', T + BigInt(i) * step, { v: i }, { node: 'n1' }),
    );
    await sink.write('big', points);

    const proxy = await startProxy(influxd.url);
    const reader = new InfluxSink({ settings: settings(proxy.url), log: captureLog().log });
    try {
      const result = await reader.query({
        database: 'big',
        measurement: 'big',
        from: T,
        to: 2n * T,
        include: ['v'],
      });
      let count = 0;
      let ordered = true;
      let previous = -1n;
      let atFirstRow: { bytes: number; ended: boolean } | undefined;
      for await (const row of result.rows) {
        if (count === 0) {
          const select = proxy.requests[proxy.requests.length - 1]!;
          atFirstRow = { bytes: select.bytes, ended: select.ended };
        }
        if (row[0] <= previous || row[1] !== count) ordered = false;
        previous = row[0];
        count++;
      }
      const select = proxy.requests[proxy.requests.length - 1]!;
      expect(select.path).to.match(/chunked=true/);
      expect(count).to.equal(n);
      expect(ordered).to.equal(true);
      expect(previous).to.equal(T + BigInt(n - 1) * step);
      expect(atFirstRow?.ended).to.equal(false);
      expect(atFirstRow!.bytes).to.be.below(select.bytes / 2);
    } finally {
      await reader.stop();
      await proxy.close();
    }
  });

  it('ends an abandoned stream and frees the connection', async () => {
    const result = await sink.query({ database: 'big', measurement: 'big', from: T, to: 2n * T });
    let seen = 0;
    for await (const _row of result.rows) {
      if (++seen === 5) break;
    }
    expect(seen).to.equal(5);
    expect(await sink.ping()).to.equal(true);
  });

  it('stop() waits for writes in flight, is idempotent, and later calls fail retryably', async () => {
    const own = new InfluxSink({ settings: settings(influxd.url), log: captureLog().log });
    const points = Array.from({ length: 20_000 }, (_, i) => pt('drain', T + BigInt(i), { v: i }));
    const writing = own.write('drain', points);
    const stopping = own.stop();
    expect(own.stop()).to.equal(stopping);
    await writing;
    await stopping;
    const rows = await collect(
      await sink.query({ database: 'drain', measurement: 'drain', from: T, to: 2n * T }),
    );
    expect(rows).to.have.length(20_000);
    expect((await rejection(own.write('drain', points.slice(0, 1)))).retryable).to.equal(true);
    expect(await own.ping()).to.equal(false);
    await own.stop();
  });
});

describe('InfluxSink when influxd is away', function () {
  this.timeout(60_000);

  it('starts without influxd, logging one warning', async () => {
    const port = await freePort();
    const captured = captureLog();
    const sink = new InfluxSink({ settings: settings(`http://127.0.0.1:${port}`), log: captured.log });
    await sink.start();
    expect(captured.at('warning')).to.have.length(1);
    expect(captured.at('warning')[0]).to.match(/does not answer/);
    expect(await sink.ping()).to.equal(false);
    await sink.stop();
  });

  it('gives up on a server that does not answer after the timeout, retryably', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const sink = new InfluxSink({
      settings: settings(`http://127.0.0.1:${port}`, { timeout: 200 }),
      log: captureLog().log,
    });
    try {
      const started = Date.now();
      const err = await rejection(sink.write('slow', [pt('s', T, { v: 1 })]));
      expect(err.retryable).to.equal(true);
      expect(err.message).to.match(/no answer within 200 ms/);
      expect(Date.now() - started).to.be.below(5000);
    } finally {
      await sink.stop();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('fails retryably while influxd is down and writes again after a restart', async () => {
    const influxd = await startInfluxd();
    const sink = new InfluxSink({ settings: settings(influxd.url), log: captureLog().log });
    try {
      await sink.write('outage', [pt('o', T, { v: 1 })]);
      await influxd.kill();
      expect(await sink.ping()).to.equal(false);
      const err = await rejection(sink.write('outage', [pt('o', T + 1n, { v: 2 })]));
      expect(err.retryable).to.equal(true);
      const queryErr = await rejection(sink.query({ database: 'outage', measurement: 'o', from: T, to: T }));
      expect(queryErr.retryable).to.equal(true);
      await influxd.restart();
      expect(await sink.ping()).to.equal(true);
      await sink.write('outage', [pt('o', T + 1n, { v: 2 })]);
      const rows = await collect(
        await sink.query({ database: 'outage', measurement: 'o', from: T, to: T + 1n }),
      );
      expect(rows).to.deep.equal([
        [T, 1],
        [T + 1n, 2],
      ]);
    } finally {
      await sink.stop();
      await influxd.stop();
    }
  });
});

describe('InfluxSink with authentication', function () {
  this.timeout(60_000);
  let influxd: InfluxdProcess;

  before(async () => {
    influxd = await startInfluxd({ auth: true });
    await influxd.query('CREATE DATABASE "granted"');
    await influxd.query(`CREATE USER "writer" WITH PASSWORD 'pw'`);
    // In 1.x a GRANT replaces the user's privilege on that database: ALL is read and write.
    await influxd.query('GRANT ALL ON "granted" TO "writer"');
  });

  after(async () => {
    await influxd?.stop();
  });

  it('writes as a non-admin user with grants, warning once that it cannot create the database', async () => {
    const captured = captureLog();
    const sink = new InfluxSink({
      settings: settings(influxd.url, { username: 'writer', password: 'pw' }),
      log: captured.log,
    });
    try {
      await sink.write('granted', [pt('w', T, { v: 1 })]);
      await sink.write('granted', [pt('w', T + 1n, { v: 2 })]);
      const warnings = captured.at('warning');
      expect(warnings).to.have.length(1);
      expect(warnings[0])
        .to.match(/cannot create database 'granted'/)
        .and.match(/admin/);
      const rows = await collect(
        await sink.query({ database: 'granted', measurement: 'w', from: T, to: T + 1n }),
      );
      expect(rows.map((r) => r[1])).to.deep.equal([1, 2]);
    } finally {
      await sink.stop();
    }
  });

  it('keeps refused writes retryable and logs the refusal once', async () => {
    const captured = captureLog();
    const sink = new InfluxSink({
      settings: settings(influxd.url, { username: 'writer', password: 'wrong' }),
      log: captured.log,
    });
    try {
      for (let i = 0; i < 2; i++) {
        const err = await rejection(sink.write('granted', [pt('w', T, { v: 1 })]));
        expect(err.retryable).to.equal(true);
        expect(err.message).to.match(/HTTP 401/);
      }
      const errors = captured.at('error');
      expect(errors).to.have.length(1);
      expect(errors[0])
        .to.match(/refused/)
        .and.match(/username\/password\/token/);
      const queryErr = await rejection(sink.query({ database: 'granted', measurement: 'w', from: T, to: T }));
      expect(queryErr.retryable).to.equal(true);
    } finally {
      await sink.stop();
    }
  });

  it('sends a token as "Authorization: Token …"', async () => {
    // influxd 1.6 knows only basic auth; the forwarder plays InfluxDB ≥1.8, which reads
    // `Token user:password` as those credentials.
    const toBasic = (value: string) => {
      const match = /^Token (.*)$/.exec(value);
      return match ? `Basic ${Buffer.from(match[1]!).toString('base64')}` : value;
    };
    const proxy = await startProxy(influxd.url, toBasic);
    const admin = influxd.admin!;
    const token = `${admin.username}:${admin.password}`;
    const sink = new InfluxSink({ settings: settings(proxy.url, { token }), log: captureLog().log });
    try {
      await sink.write('tokens', [pt('t', T, { v: 1 })]);
      const rows = await collect(await sink.query({ database: 'tokens', measurement: 't', from: T, to: T }));
      expect(rows).to.deep.equal([[T, 1]]);
      expect(proxy.requests.length).to.be.at.least(3);
      for (const request of proxy.requests) expect(request.authorization).to.equal(`Token ${token}`);
    } finally {
      await sink.stop();
      await proxy.close();
    }
    // Straight to influxd 1.6 the token scheme is refused: retryable, nothing dropped.
    const direct = new InfluxSink({ settings: settings(influxd.url, { token }), log: captureLog().log });
    try {
      expect((await rejection(direct.write('tokens', [pt('t', T, { v: 1 })]))).retryable).to.equal(true);
    } finally {
      await direct.stop();
    }
  });
});

describe('InfluxQL text', () => {
  it('quotes identifiers and literals so that they cannot end early', () => {
    expect(quoteIdentifier('plain')).to.equal('"plain"');
    expect(quoteIdentifier('x" ; DROP DATABASE "y')).to.equal('"x\\" ; DROP DATABASE \\"y"');
    expect(quoteIdentifier('a\\b\nc')).to.equal('"a\\\\b\\nc"');
    expect(quoteLiteral("a'b")).to.equal("'a\\'b'");
    expect(quoteLiteral("\\' OR 1=1")).to.equal("'\\\\\\' OR 1=1'");
  });

  it('builds a SELECT with casts, integer time bounds (clamped), tag conditions, order and limit', () => {
    const text = selectStatement({
      measurement: 'm',
      columns: [
        { name: 'f', kind: 'field' },
        { name: 't', kind: 'tag' },
      ],
      from: -(2n ** 70n),
      to: 2n ** 70n,
      where: { t: 'v' },
      order: 'desc',
      limit: 7,
    });
    expect(text).to.equal(
      'SELECT "f"::field,"t"::tag FROM "m" WHERE time >= -9223372036854775806 AND time <= 9223372036854775806' +
        ` AND "t"::tag = 'v' ORDER BY time DESC LIMIT 7`,
    );
  });

  describe('rfc3339ToNs', () => {
    const cases: Array<[string, bigint]> = [
      ['2020-03-10T03:29:42.123456789Z', T],
      ['2020-03-10T03:29:42.1234Z', 1583810982123400000n],
      ['2020-03-10T03:29:42Z', 1583810982000000000n],
      ['1970-01-01T00:00:00Z', 0n],
      ['1969-12-31T23:59:59.999999999Z', -1n],
      ['2000-02-29T00:00:00Z', 951782400n * SECOND],
      ['1677-09-21T00:12:43.145224194Z', -9223372036854775806n],
      ['2262-04-11T23:47:16.854775806Z', 9223372036854775806n],
      ['2020-03-10T04:29:42.123456789+01:00', T],
      ['2020-03-09T22:59:42.123456789-04:30', T],
    ];
    for (const [text, ns] of cases) {
      it(text, () => {
        expect(rfc3339ToNs(text)).to.equal(ns);
      });
    }

    it('agrees with Date for many millisecond times, with and without the minute cache', () => {
      let seed = 12345;
      for (let i = 0; i < 2000; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        const ms = (seed / 2 ** 31) * 8e12 - 3e12 + (i % 3) * 17;
        const whole = Math.floor(ms);
        const text = new Date(whole).toISOString();
        expect(rfc3339ToNs(text), text).to.equal(BigInt(whole) * 1_000_000n);
      }
    });

    it('rejects what is not an RFC 3339 time', () => {
      for (const bad of [
        '',
        'yesterday',
        '2020-03-10 03:29:42Z',
        '2020-13-10T03:29:42Z',
        '2020-03-10T03:29:42.Z',
      ]) {
        expect(() => rfc3339ToNs(bad), bad).to.throw(StorageError);
      }
    });
  });
});
