import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { DaemonProcess } from '../support/daqd.js';
import { startInstance, storedReadings } from '../support/daqd-instance.js';
import { eventually } from '../support/eventually.js';
import { type InfluxdProcess, startInfluxd } from '../support/influxd.js';
import { type MosquittoProcess, startMosquitto } from '../support/mosquitto.js';

/**
 * Two daqd processes from one configuration file and one `data_dir`, told apart only by
 * `DAQD_DAQD_INSTANCE_ID`, on a real Mosquitto (the realm with `mqtt_shared_group`) and a real influxd:
 * each keeps its own state under `data_dir/instances/<id>`, gets a client id of its own, stores its share;
 * and a web page on one of them sees, on its live stream, every reading of its node, whichever instance
 * stored it: from the broker (`live_store_interval = 0`), or from the store, which also has the readings
 * sent over HTTP to the other instance (as behind a load balancer).
 */

const BASE_TIME = Date.parse('2026-01-01T00:00:00Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Instance {
  id: string;
  daemon: DaemonProcess;
  httpPort: number;
}

describe('scale-out: daqd instances named by instance_id, one config and one data_dir', function () {
  this.timeout(120_000);
  let broker: MosquittoProcess;
  let influx: InfluxdProcess;
  let dir: string;
  let dataDir: string;
  let config: string;
  let realm = '';
  const instances: Instance[] = [];
  const clients: mqtt.MqttClient[] = [];
  const streams: AbortController[] = [];

  before(async () => {
    [broker, influx] = await Promise.all([startMosquitto(), startInfluxd()]);
  });
  after(async () => {
    await Promise.all([broker?.stop(), influx?.stop()]);
  });

  beforeEach(async function () {
    realm = `inst${(this.currentTest?.title.match(/^\w+/)?.[0] ?? 'x').toLowerCase()}`;
    dir = await mkdtemp(path.join(tmpdir(), `daqd-${realm}-`));
    dataDir = path.join(dir, 'var');
    await mkdir(path.join(dir, 'apps'));
    await writeFile(
      path.join(dir, 'apps', `${realm}.ini`),
      `[${realm}]\ntype = application\nrealm = ${realm}\nmqtt_topics = ${realm}/#\n` +
        'application = mqttkit\nmqtt_shared_group = daqd\nhttp_api = true\n',
    );
    config = path.join(dir, 'daqd.ini');
    // No client_id and one data_dir for all: the instance id alone tells the instances apart.
    await writeFile(
      config,
      `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = ${dataDir}\ntimezone = UTC\nmetrics_logger_interval = 0\n` +
        `[mqtt]\nembedded = false\nhost = 127.0.0.1\nport = ${broker.port}\n` +
        `[influxdb]\nurl = ${influx.url}\nflush_interval = 50\n` +
        // The broker relay is used only where the store is not followed.
        (realm === 'instlive' ? '[http]\nlive_store_interval = 0\n' : ''),
    );
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.abort();
    for (const c of clients.splice(0)) await c.endAsync(true);
    await Promise.all(instances.splice(0).map((i) => i.daemon.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  async function start(id: string): Promise<Instance> {
    const instance = { id, ...(await startInstance(config, { DAQD_DAQD_INSTANCE_ID: id })) };
    instances.push(instance);
    return instance;
  }

  /**
   * Publishes readings `0 … count-1` of `node` at QoS 1, each with its seq and a time of its own (with
   * `timed`; else daqd stamps the time it receives it).
   */
  async function publish(count: number, node: (seq: number) => string, timed = true): Promise<void> {
    const publisher = await mqtt.connectAsync(broker.url, { clientId: `${realm}-pub`, clean: true });
    clients.push(publisher);
    for (let from = 0; from < count; from += 50) {
      const batch: Promise<unknown>[] = [];
      for (let seq = from; seq < Math.min(from + 50, count); seq++) {
        const body = JSON.stringify(
          timed ? { time: BASE_TIME + seq, seq, value: seq * 0.5 } : { seq, value: seq * 0.5 },
        );
        batch.push(publisher.publishAsync(`${realm}/net/gw/${node(seq)}/data.json`, body, { qos: 1 }));
      }
      await Promise.all(batch);
      await sleep(20);
    }
  }

  /** Distinct seq values stored in influxd. */
  async function storedSeqs(): Promise<Set<number>> {
    const answer = (await influx
      .query(`SELECT "seq" FROM /_sensors$/`, `${realm}_net`)
      .catch(() => undefined)) as { results: { series?: { values: unknown[][] }[] }[] } | undefined;
    const seqs = new Set<number>();
    for (const series of answer?.results[0]?.series ?? [])
      for (const v of series.values) seqs.add(Number(v[1]));
    return seqs;
  }

  it('state: two instances on one data_dir store every reading once, each in its own folder', async () => {
    const a = await start('a');
    const b = await start('b');
    // Each holds the lock of its own folder; nothing of theirs is in data_dir itself.
    for (const i of [a, b]) {
      const pid = await readFile(path.join(dataDir, 'instances', i.id, 'daqd.pid'), 'utf8');
      expect(pid.split('\n')[0]).to.equal(String(i.daemon.pid));
      await access(path.join(dataDir, 'instances', i.id, 'spool'));
    }
    await access(path.join(dataDir, 'daqd.pid')).then(
      () => expect.fail('data_dir/daqd.pid exists'),
      () => {},
    );
    // A second 'a' is refused, naming the holder; the two go on.
    const twin = new DaemonProcess(config, { env: { DAQD_DAQD_INSTANCE_ID: 'a', DAQD_HTTP_PORT: '0' } });
    expect(await twin.exit()).to.not.equal(0);
    expect(twin.output).to.match(new RegExp(`another daqd \\(pid ${a.daemon.pid}\\) holds data_dir`));
    expect(twin.output).to.contain(path.join(dataDir, 'instances', 'a'));

    const count = 1_000;
    await publish(count, (seq) => `node-${seq % 4}`);
    const seqs = await eventually(
      `all ${count} readings stored`,
      async () => {
        const found = await storedSeqs();
        return found.size === count ? found : undefined;
      },
      60_000,
    );
    await sleep(300);
    const split = [await storedReadings(a, realm), await storedReadings(b, realm)];
    process.stdout.write(`      stored ${seqs.size} distinct; a ${split[0]}, b ${split[1]}\n`);
    // Client ids of their own (the default one with the instance id): with one id the broker would
    // drop one connection for the other.
    for (const i of [a, b]) {
      expect(i.daemon.output).to.match(
        new RegExp(`connected to broker \\S+ as 'daqd-[^']+-${i.id}-${realm}'`),
      );
    }
    expect((split[0] ?? 0) + (split[1] ?? 0), 'stored once each').to.equal(count);
    for (const n of split) expect(n).to.be.greaterThan(count / 6);
  });

  it('live: a page on one instance sees every reading of its node once, though the other stored half', async () => {
    const a = await start('a');
    const b = await start('b');
    const page = await liveStream(a, 'node-1');
    const seen = page.seen;
    await eventually(
      'the live relay subscribed',
      async () => page.comments.includes('broker') || undefined,
      10_000,
    );

    const count = 400;
    await publish(count, () => 'node-1');
    // A reading of another node does not reach the page.
    const other = await mqtt.connectAsync(broker.url, { clientId: `${realm}-other`, clean: true });
    clients.push(other);
    await other.publishAsync(`${realm}/net/gw/node-2/data.json`, JSON.stringify({ seq: 99_999 }), { qos: 1 });
    await eventually(
      `all ${count} readings stored`,
      async () => (await storedSeqs()).size >= count || undefined,
      60_000,
    );
    await eventually(
      `all ${count} readings on the stream`,
      async () => seen.size >= count || undefined,
      20_000,
    );
    // Late copies (the stored one of a reading shown from the broker) would come within a flush or two.
    await sleep(1_000);
    const split = [await storedReadings(a, realm), await storedReadings(b, realm)];
    const twice = [...seen].filter(([, n]) => n > 1).map(([seq]) => seq);
    const missing = Array.from({ length: count }, (_, seq) => seq).filter((seq) => !seen.has(seq));
    process.stdout.write(
      `      live stream on a: ${seen.size} distinct, ${twice.length} twice, ${missing.length} missing; ` +
        `stored: a ${split[0]}, b ${split[1]}\n`,
    );
    expect(missing).to.deep.equal([]);
    expect(twice).to.deep.equal([]);
    expect(seen.has(99_999)).to.equal(false);
    expect([...seen.keys()].every((seq) => seq < count)).to.equal(true);
    // The other instance really stored a share: without the relay, those would be missing here.
    expect(split[1]).to.be.greaterThan(count / 4);
    expect((split[0] ?? 0) + (split[1] ?? 0)).to.be.at.least(count);

    // The page gone, the relay lets go of the broker.
    page.abort.abort();
    await page.done;
    await eventually('the relay disconnected', async () => (await liveClients()) === 0 || undefined, 10_000);
  });

  /**
   * Opens the live stream of `node` on `instance` and counts, in the background, every reading of its
   * `data:` events by seq; `comments` collects its comment lines.
   */
  async function liveStream(instance: Instance, node: string) {
    const abort = new AbortController();
    streams.push(abort);
    const res = await fetch(
      `http://127.0.0.1:${instance.httpPort}/view/live?realm=${realm}&address=net/gw/${node}`,
      { signal: abort.signal },
    );
    expect(res.status).to.equal(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const seen = new Map<number, number>();
    const comments: string[] = [];
    let text = '';
    const done = (async () => {
      for (;;) {
        const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (chunk.done) return;
        text += decoder.decode(chunk.value, { stream: true });
        let end = text.indexOf('\n\n');
        while (end >= 0) {
          const event = text.slice(0, end);
          text = text.slice(end + 2);
          end = text.indexOf('\n\n');
          for (const line of event.split('\n')) {
            if (line.startsWith(': ')) comments.push(line.slice(2));
            if (!line.startsWith('data: ')) continue;
            for (const r of JSON.parse(line.slice(6)) as { fields: { seq: number } }[]) {
              seen.set(r.fields.seq, (seen.get(r.fields.seq) ?? 0) + 1);
            }
          }
        }
      }
    })();
    return { seen, comments, abort, done };
  }

  /** `live` of an instance's /health. */
  async function live(instance: Instance): Promise<{ followed?: string[]; store?: string[] }> {
    const health = (await (await fetch(`http://127.0.0.1:${instance.httpPort}/health`)).json()) as {
      live?: { followed?: string[]; store?: string[] };
    };
    return health.live ?? {};
  }

  /** POSTs readings `from … from+count-1` of `node` to an instance's HTTP API, one request each. */
  async function post(instance: Instance, node: string, from: number, count: number): Promise<void> {
    for (let seq = from; seq < from + count; seq++) {
      const res = await fetch(`http://127.0.0.1:${instance.httpPort}/api/${realm}/net/gw/${node}/data`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ seq, value: seq * 0.5 }),
      });
      expect(res.status, await res.text()).to.equal(200);
    }
  }

  it('store: a page on one instance sees, once each, the readings sent over HTTP to the other', async () => {
    const a = await start('a');
    const b = await start('b');
    const page = await liveStream(a, 'node-1');
    await eventually(
      'the node followed in the store',
      async () => (await live(a)).store?.length || undefined,
    );
    // The first look marks what is stored as shown (the page loaded it); give it time to pass.
    await sleep(500);
    // Over HTTP to b (behind a load balancer), over HTTP to a, and over MQTT, shared by both.
    await post(b, 'node-1', 100, 30);
    await post(a, 'node-1', 130, 10);
    // Live readings: the time they arrive (one a day ago would not be live, and is not looked for).
    await publish(40, () => 'node-1', false);
    await post(b, 'node-2', 1_000, 1);
    const expected = [
      ...Array.from({ length: 40 }, (_, i) => i),
      ...Array.from({ length: 40 }, (_, i) => 100 + i),
    ];
    const distinct = expected.length;
    await eventually(
      `all ${distinct} readings on a's stream`,
      async () => page.seen.size >= distinct || undefined,
      20_000,
    );
    // A later look finds them all again: none may come twice.
    await sleep(2_500);
    const twice = [...page.seen].filter(([, n]) => n > 1).map(([seq]) => seq);
    const split = [await storedReadings(a, realm), await storedReadings(b, realm)];
    process.stdout.write(
      `      live stream on a: ${page.seen.size} distinct, ${twice.length} twice; stored: a ${split[0]}, b ${split[1]}\n`,
    );
    expect(twice).to.deep.equal([]);
    expect([...page.seen.keys()].sort((x, y) => x - y)).to.deep.equal(expected);
    expect(page.comments).to.not.include('broker');
    // b really stored readings the page shows: 30 over HTTP, and its share of the MQTT ones.
    expect(split[1]).to.be.at.least(30);
    // The page gone, the node is no longer followed.
    page.abort.abort();
    await page.done;
    await eventually(
      'the store no longer followed',
      async () => (await live(a)).store?.length === 0 || undefined,
    );
  });

  /** Connections of the relay on the broker, by its client id, from daqd's /health. */
  async function liveClients(): Promise<number> {
    let n = 0;
    for (const i of instances) {
      const health = (await (await fetch(`http://127.0.0.1:${i.httpPort}/health`)).json()) as {
        live?: { followed?: string[] };
      };
      n += health.live?.followed?.length ?? 0;
    }
    return n;
  }
});
