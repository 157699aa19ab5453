import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { PollDelivered } from '../../../lib/acquire/source/poll-delivered.js';
import { PollNodes } from '../../../lib/acquire/source/poll-nodes.js';
import { PollStateFile } from '../../../lib/acquire/source/poll-state-file.js';
import { PollValidators } from '../../../lib/acquire/source/poll-validators.js';
import type { Point } from '../../../lib/core/point.js';

function point(time: bigint, tags: Record<string, string> = {}, measurement = 'sensors'): Point {
  return { measurement, tags, fields: { v: 1 }, time };
}

describe('acquire/source/poll: conditional requests (PollValidators)', () => {
  it('sends nothing conditional before a stored answer, then If-None-Match and If-Modified-Since', () => {
    const v = new PollValidators();
    expect(v.headers('http://a/log')).to.deep.equal({});
    v.remember(
      'http://a/log',
      new Headers({ etag: '"v1"', 'last-modified': 'Wed, 02 Dec 2026 10:00:00 GMT' }),
    );
    expect(v.headers('http://a/log')).to.deep.equal({
      'if-none-match': '"v1"',
      'if-modified-since': 'Wed, 02 Dec 2026 10:00:00 GMT',
    });
    expect(v.headers('http://b/log')).to.deep.equal({});
    v.remember('http://b/log', new Headers({ 'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT' }));
    expect(v.headers('http://b/log')).to.deep.equal({ 'if-modified-since': 'Tue, 01 Dec 2026 10:00:00 GMT' });
  });

  it('forgets a URL whose node stopped sending validators, and URLs no longer polled; survives JSON', () => {
    const v = new PollValidators();
    v.remember('http://a/log', new Headers({ etag: 'W/"1"' }));
    v.remember('http://b/log', new Headers({ etag: '"2"' }));
    v.remember('http://c/log', new Headers({ etag: '"3"' }));
    v.remember('http://a/log', new Headers({}));
    v.retain(new Set(['http://a/log', 'http://b/log']));
    const again = PollValidators.fromJSON(JSON.parse(JSON.stringify(v)));
    expect(again.headers('http://a/log')).to.deep.equal({});
    expect(again.headers('http://b/log')).to.deep.equal({ 'if-none-match': '"2"' });
    expect(again.headers('http://c/log')).to.deep.equal({});
    expect(PollValidators.fromJSON({ x: 5, y: { etag: 7 } }).toJSON()).to.deep.equal({});
  });
});

describe('acquire/source/poll: what was delivered (PollDelivered)', () => {
  it('passes only points newer than their series mark, per URL, and marks only what it is told', () => {
    const d = new PollDelivered();
    const url = 'http://a/log';
    expect(d.fresh(url, 'db', [point(1n), point(2n)])).to.have.length(2);
    d.mark(url, 'db', [point(1n), point(2n)]);
    expect(d.fresh(url, 'db', [point(1n), point(2n), point(3n)]).map((p) => p.time)).to.deep.equal([3n]);
    // Another series, database or URL has marks of its own.
    expect(d.fresh(url, 'db', [point(1n, { sensor_id: 'x' })])).to.have.length(1);
    expect(d.fresh(url, 'db', [point(1n, {}, 'events')])).to.have.length(1);
    expect(d.fresh(url, 'other', [point(1n)])).to.have.length(1);
    expect(d.fresh('http://b/log', 'db', [point(1n)])).to.have.length(1);
  });

  it('keeps its marks as exact nanoseconds through JSON', () => {
    const d = new PollDelivered();
    d.mark('http://a/log', 'db', [point(1530364575000000001n)]);
    const again = PollDelivered.fromJSON(JSON.parse(JSON.stringify(d)));
    expect(
      again.fresh('http://a/log', 'db', [point(1530364575000000001n), point(1530364575000000002n)]),
    ).to.deep.equal([point(1530364575000000002n)]);
    again.retain(new Set());
    expect(again.toJSON()).to.deep.equal({});
  });
});

describe('acquire/source/poll: the state file (PollStateFile)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-poll-state-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('starts empty, saves under data_dir/poll/<realm>.json and loads it back', async () => {
    const file = new PollStateFile(dir, 'isems');
    const first = await file.load();
    expect(first.problem).to.equal(undefined);
    first.delivered.mark('http://a/log', 'db', [point(5n)]);
    first.validators.remember('http://a/log', new Headers({ etag: '"e"' }));
    await file.save(first);
    expect(file.file).to.equal(path.join(dir, 'poll', 'isems.json'));
    const loaded = await new PollStateFile(dir, 'isems').load();
    expect(loaded.delivered.fresh('http://a/log', 'db', [point(5n), point(6n)])).to.deep.equal([point(6n)]);
    expect(loaded.validators.headers('http://a/log')).to.deep.equal({ 'if-none-match': '"e"' });
  });

  it('says so and starts from nothing when the file is not one it wrote', async () => {
    const file = new PollStateFile(dir, 'r');
    await file.save(await file.load());
    await writeFile(file.file, '{"version": 7}');
    const loaded = await file.load();
    expect(loaded.problem).to.match(
      /r\.json is not a poll state file \(version 7, expected 1\); starting from nothing/,
    );
    expect(loaded.delivered.toJSON()).to.deep.equal({});
    await writeFile(file.file, 'not json');
    expect((await file.load()).problem).to.match(/not a poll state file/);
    expect(await readFile(file.file, 'utf8')).to.equal('not json');
  });
});

describe('acquire/source/poll: nodes up and down (PollNodes)', () => {
  it('says down once, back once, and counts every request by result', () => {
    const nodes = new PollNodes([{ url: 'http://a/log', host: 'a' }]);
    expect(nodes.record('http://a/log', 'ok', undefined, 1000)).to.equal(undefined);
    expect(nodes.record('http://a/log', 'timeout', 'no answer', 2000)).to.equal('down');
    expect(nodes.record('http://a/log', 'unreachable', 'ECONNREFUSED', 3000)).to.equal(undefined);
    const [down] = nodes.list();
    expect(down).to.deep.include({
      up: false,
      downSince: 2000,
      problem: 'ECONNREFUSED',
      lastSuccess: 1000,
      failures: 2,
    });
    expect(nodes.record('http://a/log', 'not_modified', undefined, 4000)).to.equal('up');
    expect(nodes.record('http://a/log', 'ok', undefined, 5000)).to.equal(undefined);
    // A body that could not be read is a failure, but the node answered: it is up.
    expect(nodes.record('http://a/log', 'bad_body', 'no good line', 6000)).to.equal(undefined);
    const [node] = nodes.list();
    expect(node).to.deep.include({ up: true, downSince: undefined, lastSuccess: 5000, failures: 3 });
    expect(node?.requests).to.deep.equal({
      ok: 2,
      not_modified: 1,
      http_error: 0,
      timeout: 1,
      unreachable: 1,
      bad_body: 1,
      store_failed: 0,
    });
    expect(nodes.record('http://other/log', 'ok', undefined, 1)).to.equal(undefined);
  });
});
