import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { DecodedBody } from '../../../lib/acquire/decode/decoder.js';
import { jsonBodyDecoder } from '../../../lib/acquire/decode/json-body.js';
import { ndjsonDecoder } from '../../../lib/acquire/decode/ndjson.js';
import { topicToTopology } from '../../../lib/acquire/decode/topic.js';
import type { Topology } from '../../../lib/acquire/decode/topology.js';
import { WriteBatcher } from '../../../lib/acquire/deliver/batcher.js';
import { DeadLetterStore } from '../../../lib/acquire/deliver/dead-letter.js';
import {
  type HttpBody,
  HttpSource,
  type ReadingsIntake,
  StoreInterruptedError,
} from '../../../lib/acquire/source/http.js';
import { Channel } from '../../../lib/channel/channel.js';
import { parseIni } from '../../../lib/config/ini-file.js';
import { readMainSettings } from '../../../lib/config/main-settings.js';
import { readRealmApps } from '../../../lib/config/realm-apps.js';
import type { RealmApp } from '../../../lib/config/settings.js';
import { DecodeError, StorageError } from '../../../lib/core/errors.js';
import { silentLog } from '../../../lib/core/log.js';
import { heldWrite, ScriptedSink } from '../../support/scripted-sink.js';

/** A realm app as daqd reads it (basic strategy, HTTP ingest on). */
function httpApp(realm: string): RealmApp {
  const main = readMainSettings(parseIni('', '/etc/daqd/daqd.ini').ini, {}).settings;
  const text = `[${realm}]\ntype = application\nrealm = ${realm}\napplication = basic\nhttp_api = true\n`;
  const { apps, problems } = readRealmApps([parseIni(text, `/apps/${realm}.ini`).ini], main);
  expect(problems.map((p) => p.format())).to.deep.equal([]);
  return apps[0] as RealmApp;
}

/** An NDJSON body of `count` readings `{"v": 1}`, `{"v": 2}`, …; `bad` lines replaced by `{}`. */
async function ndjson(count: number, bad: readonly number[] = []): Promise<DecodedBody> {
  const lines = Array.from({ length: count }, (_, i) => (bad.includes(i + 1) ? '{}' : `{"v": ${i + 1}}`));
  return ndjsonDecoder.decodeBody(Buffer.from(lines.join('\n')), {});
}

async function json(text: string): Promise<DecodedBody> {
  return jsonBodyDecoder.decodeBody(Buffer.from(text), {});
}

function settle<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

describe('acquire/source/http: HttpSource into a real channel', () => {
  let dir: string;
  let sink: ScriptedSink;
  let batcher: WriteBatcher;
  let channel: Channel;
  let http: HttpSource;
  let topology: Topology;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-http-source-'));
    sink = new ScriptedSink();
    batcher = new WriteBatcher({
      sink,
      limits: { batch_size: 1000, flush_interval: 10, flush_idle: 2 },
      log: silentLog(),
      deadLetter: new DeadLetterStore({ dataDir: dir }),
    });
    const app = httpApp('lab');
    channel = new Channel({
      app,
      openSources: ({ intake }) => [new HttpSource({ intake })],
      timezone: 'UTC',
      batcher,
      log: silentLog(),
    });
    await channel.start();
    http = channel.httpSource!;
    topology = topicToTopology('lab/node-1/data.json', app);
  });
  afterEach(async () => {
    await channel.stop();
    await batcher.stop(1000);
    await rm(dir, { recursive: true, force: true });
  });

  function request(body: DecodedBody, checked?: () => Promise<void>): HttpBody {
    return { topology, kind: 'data', receivedAt: 1_700_000_000_000_000_000n, body, checked };
  }

  it('is the channel’s HTTP source, up while the channel runs', async () => {
    expect(http).to.be.instanceOf(HttpSource);
    expect(http.origin).to.equal('http');
    expect(channel.connected).to.equal(true);
    await channel.stop();
    expect(http.connected).to.equal(false);
    expect(channel.connected).to.equal(false);
  });

  it('resolves (and so lets the request be answered) only once the store has taken the readings', async () => {
    sink.holding = true;
    let settled = false;
    const ingesting = http.ingest(request(await json('[{"v": 1}, {"v": 2}]'))).then((count) => {
      settled = true;
      return count;
    });
    const release = await heldWrite(sink);
    await new Promise((r) => setImmediate(r));
    expect(settled, 'resolved before the store took the readings').to.equal(false);
    release();
    expect(await ingesting).to.equal(2);
    expect(sink.writes).to.deep.equal([{ database: 'lab_node_1', values: [1, 2] }]);
    expect(channel.stats.stored).to.equal(2);
  });

  it('checks a large body whole: one bad reading anywhere stores nothing of it and is named', async () => {
    const outcome = await settle(http.ingest(request(await ndjson(12_000, [9_999]))));
    expect(outcome.error).to.be.instanceOf(DecodeError);
    expect((outcome.error as Error).message).to.match(/^line 9999: /);
    await new Promise((r) => setTimeout(r, 30));
    expect(sink.attempts).to.deep.equal([]);
  });

  it('stores a large body part by part, every reading once', async () => {
    expect(await http.ingest(request(await ndjson(12_001)))).to.equal(12_001);
    const values = sink.writes.flatMap((w) => w.values);
    expect(values).to.have.length(12_001);
    expect(new Set(values).size).to.equal(12_001);
  });

  it('calls `checked` after the body is checked and before any of it is stored, not for a refused one', async () => {
    const seen: number[] = [];
    await http.ingest(
      request(await json('{"v": 1}'), async () => {
        seen.push(sink.attempts.length);
      }),
    );
    expect(seen).to.deep.equal([0]);
    const refused = await settle(
      http.ingest(
        request(await ndjson(6_000, [5_500]), async () => {
          seen.push(-1);
        }),
      ),
    );
    expect(refused.error).to.be.instanceOf(DecodeError);
    expect(seen).to.deep.equal([0]);
  });

  it('stop() waits for the bodies being stored', async () => {
    sink.holding = true;
    const ingesting = http.ingest(request(await json('{"v": 5}')));
    const release = await heldWrite(sink);
    let stopped = false;
    const stopping = http.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped, 'stopped while a body was being stored').to.equal(false);
    release();
    await ingesting;
    await stopping;
    expect(stopped).to.equal(true);
  });
});

/**
 * A channel's way in that fails as told: the `n`th call of `ingest` throws `failures[n]` (when set),
 * `checkReadings` refuses readings whose `v` is `"bad"`.
 */
class ScriptedIntake implements ReadingsIntake {
  calls = 0;
  stored = 0;
  readonly failures = new Map<number, Error>();

  checkReadings(_target: unknown, readings: readonly Record<string, unknown>[]): void {
    if (readings.some((r) => r['v'] === 'bad')) throw new DecodeError("field 'v': not a number");
  }

  async ingest(
    _topology: Topology,
    _kind: 'data' | 'event',
    readings: readonly Record<string, unknown>[],
  ): Promise<number> {
    const failure = this.failures.get(this.calls++);
    if (failure !== undefined) throw failure;
    this.checkReadings(undefined, readings);
    this.stored += readings.length;
    return readings.length;
  }
}

describe('acquire/source/http: what HttpSource makes of the channel’s failures', () => {
  const topology = { realm: 'lab', node: 'n', slot: 'data.json' } as unknown as Topology;
  const at = (body: DecodedBody): HttpBody => ({ topology, kind: 'data', receivedAt: 1n, body });

  it('store down part way: says how many readings were stored and from where on not', async () => {
    const intake = new ScriptedIntake();
    intake.failures.set(1, new StorageError('connection refused', true));
    const outcome = await settle(new HttpSource({ intake }).ingest(at(await ndjson(12_000))));
    expect(outcome.error).to.be.instanceOf(StoreInterruptedError);
    expect((outcome.error as StorageError).retryable).to.equal(true);
    expect((outcome.error as Error).message).to.equal(
      '5000 of the 12000 readings stored, those from line 5001 on not: storage is unavailable or daqd is stopping; send them again',
    );
    expect(intake.stored).to.equal(5000);
  });

  it('store down before anything was stored: says that none were', async () => {
    const intake = new ScriptedIntake();
    intake.failures.set(0, new StorageError('connection refused', true));
    const outcome = await settle(new HttpSource({ intake }).ingest(at(await json('[{"v": 1}, {"v": 2}]'))));
    expect(outcome.error).to.be.instanceOf(StoreInterruptedError);
    expect((outcome.error as Error).message).to.equal(
      'readings not stored: storage is unavailable or daqd is stopping; send them again',
    );
  });

  it('points refused for good: a DecodeError saying the store refused them', async () => {
    const intake = new ScriptedIntake();
    intake.failures.set(0, new StorageError('field type conflict', false));
    const outcome = await settle(new HttpSource({ intake }).ingest(at(await json('{"v": 1}'))));
    expect(outcome.error).to.be.instanceOf(DecodeError);
    expect((outcome.error as Error).message).to.equal('the store refused the readings: field type conflict');
  });

  it('a bad reading the channel finds in a small body is named by its place; a body of one needs none', async () => {
    const intake = new ScriptedIntake();
    const outcome = await settle(
      new HttpSource({ intake }).ingest(at(await json('[{"v": 1}, {"v": "bad"}, {"v": 3}]'))),
    );
    expect(outcome.error).to.be.instanceOf(DecodeError);
    expect((outcome.error as Error).message).to.equal("item 2: field 'v': not a number");
    const single = await settle(new HttpSource({ intake }).ingest(at(await json('{"v": "bad"}'))));
    expect((single.error as Error).message).to.equal("field 'v': not a number");
    expect(intake.stored).to.equal(0);
  });

  it('a body of headers only stores nothing and resolves to 0', async () => {
    const intake = new ScriptedIntake();
    const body: DecodedBody = {
      items: async function* () {},
      where: (line) => `line ${line}`,
      messages: [],
      header: undefined,
    };
    expect(await new HttpSource({ intake }).ingest(at(body))).to.equal(0);
    expect(intake.calls).to.equal(0);
  });
});
