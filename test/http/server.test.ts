import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Topology } from '../../lib/acquire/decode/topology.js';
import { readingsToPoints } from '../../lib/acquire/pipeline.js';
import { SeriesClock } from '../../lib/acquire/sanitize/series-clock.js';
import type { Sink } from '../../lib/acquire/sink/sink.js';
import { type HttpReadingsTarget, HttpSource } from '../../lib/acquire/source/http.js';
import { ChannelStats } from '../../lib/channel/channel-stats.js';
import { ingestRoutes } from '../../lib/config/forwarder-route.js';
import type { RealmApp } from '../../lib/config/settings.js';
import { StorageError } from '../../lib/core/errors.js';
import { silentLog } from '../../lib/core/log.js';
import { Metrics } from '../../lib/core/metrics.js';
import { type HttpChannel, HttpServer, type HttpServerContext } from '../../lib/http/server.js';

interface Ingested {
  topology: Topology;
  kind: 'data' | 'event';
  readings: readonly Record<string, unknown>[];
  receivedAt: bigint;
}

/**
 * A realm channel that runs the real pipeline stages on what it is given and then waits `delay` ms
 * (a store taking its time), or fails the way `failure` says.
 */
class RecordingChannel implements HttpChannel {
  readonly ingested: Ingested[] = [];
  readonly stats = new ChannelStats();
  readonly httpSource = new HttpSource({ intake: this });
  delay = 0;
  failure: Error | undefined;
  private readonly waiting = new Set<() => void>();

  constructor(readonly app: RealmApp) {}

  checkReadings(target: HttpReadingsTarget, readings: readonly Record<string, unknown>[]): void {
    readingsToPoints(target.topology, target.kind, readings, target.receivedAt, {
      app: this.app,
      timezone: 'UTC',
      clock: new SeriesClock(),
    });
  }

  async ingest(
    topology: Topology,
    kind: 'data' | 'event',
    readings: readonly Record<string, unknown>[],
    receivedAt: bigint,
  ): Promise<number> {
    this.stats.received += readings.length;
    readingsToPoints(topology, kind, readings, receivedAt, {
      app: this.app,
      timezone: 'UTC',
      clock: new SeriesClock(),
    });
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.delay);
      this.waiting.add(done);
    });
    if (this.failure) throw this.failure;
    this.ingested.push({ topology, kind, readings, receivedAt });
    this.stats.stored += readings.length;
    return readings.length;
  }

  /** Ends every wait now. */
  release(): void {
    for (const done of [...this.waiting]) done();
  }
}

function realmApp(realm: string): RealmApp {
  return {
    name: realm,
    file: `/apps/${realm}.ini`,
    line: 1,
    realm,
    strategy: 'mqttkit',
    mqtt_topics: [`${realm}/#`],
    mqtt: {} as RealmApp['mqtt'],
    tags: ['sensor_id'],
    http_ingest: true,
    http_export: true,
    hide_inactive_after_days: 30,
    metrics_logger_interval: 0,
    forwarders: [],
    ingest_routes: ingestRoutes([], { section: realm, file: `/apps/${realm}.ini`, line: 1, realm }),
  };
}

describe('HttpServer (in process)', () => {
  let dir: string;
  const servers: HttpServer[] = [];

  async function serve(overrides: Partial<HttpServerContext> & { channels?: () => readonly HttpChannel[] }) {
    const channels = overrides.channels?.() ?? [];
    const server = new HttpServer({
      listen: '127.0.0.1',
      port: 0,
      log: silentLog(),
      health: async () => ({ ok: true, realms: channels.length }),
      settings: {
        http: { max_body_size: 4096 },
        daqd: { data_dir: dir, timezone: 'UTC', shutdown_timeout: 2 },
      },
      ready: () => true,
      channel: (realm) => channels.find((c) => c.app.realm === realm),
      sink: () => undefined,
      metrics: new Metrics({ channels: () => channels, queueDepth: () => 7 }),
      ...overrides,
    });
    await server.start();
    servers.push(server);
    return { server, url: `http://127.0.0.1:${server.port}` };
  }

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-http-server-'));
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  const post = (url: string, body: string, type = 'application/json') =>
    fetch(url, { method: 'POST', headers: { 'content-type': type }, body });

  it('answers 503 while daqd is starting, and for exports until storage is there', async () => {
    const channel = new RecordingChannel(realmApp('wan'));
    let ready = false;
    const { url } = await serve({ ready: () => ready, channels: () => [channel] });
    const starting = await post(`${url}/api/wan/a/b/c/data`, '{"v":1}');
    expect(starting.status).to.equal(503);
    expect(starting.headers.get('retry-after')).to.equal('5');
    expect(await starting.json()).to.deep.equal({
      type: 'error',
      message: 'daqd is starting; try again in a moment',
    });
    ready = true;
    expect((await post(`${url}/api/wan/a/b/c/data`, '{"v":1}')).status).to.equal(200);
    const noStore = await fetch(`${url}/api/wan/a/b/c/data.csv`);
    expect(noStore.status).to.equal(503);
  });

  it('hands the readings to the channel with the arrival time and answers only once they are stored', async () => {
    const channel = new RecordingChannel(realmApp('wan'));
    channel.delay = 300;
    const { url } = await serve({ channels: () => [channel] });
    const sent = BigInt(Date.now()) * 1_000_000n;
    const started = Date.now();
    const res = await post(
      `${url}/api/wan/device/d1/event`,
      '[{"title": "a"}, {"title": "b", "time": 1583810982}]',
    );
    expect(Date.now() - started).to.be.at.least(290);
    expect(await res.json()).to.deep.equal([{ type: 'info', message: 'Received #2 readings' }]);
    expect(channel.ingested).to.have.length(1);
    const [call] = channel.ingested;
    expect(call?.topology).to.deep.equal({
      realm: 'wan',
      network: 'devices',
      gateway: 'default',
      node: 'd1',
      slot: 'event.json',
    });
    expect(call?.kind).to.equal('event');
    expect(call?.readings).to.deep.equal([{ title: 'a' }, { title: 'b', time: 1583810982 }]);
    expect(Number(call!.receivedAt - sent) / 1e6).to.be.within(-5, 200);
  });

  it('maps what the channel throws: bad reading 400 (naming it), store down 503, refused for good 400', async () => {
    const channel = new RecordingChannel(realmApp('wan'));
    const { url } = await serve({ channels: () => [channel] });
    const bad = await post(`${url}/api/wan/a/b/c/data`, '[{"v": 1}, {"v": 2, "time": "not a time"}]');
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { message: string }).message).to.match(/^item 2: timestamp 'not a time'/);

    channel.failure = new StorageError('influxdb: connection refused', true);
    const down = await post(`${url}/api/wan/a/b/c/data`, '{"v": 1}');
    expect(down.status).to.equal(503);
    expect(down.headers.get('retry-after')).to.equal('10');
    expect(((await down.json()) as { message: string }).message).to.match(
      /not stored: storage is unavailable/,
    );

    channel.failure = new StorageError('field type conflict', false);
    const refused = await post(`${url}/api/wan/a/b/c/data`, '{"v": 1}');
    expect(refused.status).to.equal(400);
    expect(((await refused.json()) as { message: string }).message).to.equal(
      'the store refused the readings: field type conflict',
    );
  });

  it('keeps every server’s metrics in its own registry', async () => {
    const a = new RecordingChannel(realmApp('alpha'));
    const b = new RecordingChannel(realmApp('beta'));
    const first = await serve({ channels: () => [a] });
    const second = await serve({ channels: () => [b] });
    await post(`${first.url}/api/alpha/a/b/c/data`, '{"v": 1}');
    const one = await (await fetch(`${first.url}/metrics`)).text();
    const two = await (await fetch(`${second.url}/metrics`)).text();
    expect(one).to.match(/^daqd_readings_stored_total\{realm="alpha"\} 1$/m);
    expect(one).not.to.contain('beta');
    expect(two).to.match(/^daqd_readings_stored_total\{realm="beta"\} 0$/m);
    expect(two).to.match(/^daqd_storage_queue_depth 7$/m);
    expect(one).to.match(/^daqd_http_requests_total\{route="ingest",status="200"\} 1$/m);
    expect(await first.server.metricsText()).to.contain(
      'daqd_http_ingest_duration_seconds_bucket{le="0.005",realm="alpha"}',
    );
  });

  it('answers unknown paths with a JSON 404 and keeps /health', async () => {
    const { url } = await serve({});
    const missing = await fetch(`${url}/nothing/here`);
    expect(missing.status).to.equal(404);
    expect(await missing.json()).to.deep.equal({
      type: 'error',
      message: 'no such resource: GET /nothing/here',
    });
    expect(await (await fetch(`${url}/health`)).json()).to.deep.equal({ ok: true, realms: 0 });
  });

  it('cuts requests still running when the grace time of stop() is over', async () => {
    const channel = new RecordingChannel(realmApp('wan'));
    channel.delay = 60_000;
    const { server, url } = await serve({ channels: () => [channel] });
    const pending = post(`${url}/api/wan/a/b/c/data`, '{"v": 1}').then(
      (res) => res.status,
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await server.stop();
    // shutdown_timeout = 2 s: the grace time ends a quarter second before.
    expect(Date.now() - started).to.be.within(1650, 2100);
    expect(await pending).to.equal('cut');
    await server.stop();
    channel.release();
  });

  it('serves exports from the sink it is given', async () => {
    const channel = new RecordingChannel(realmApp('wan'));
    const sink: Pick<Sink, 'query'> = {
      query: async () => ({
        columns: ['v'],
        rows: (async function* () {
          yield [1_000_000_000n, 1.5] as [bigint, number];
        })(),
      }),
    };
    const { url } = await serve({ channels: () => [channel], sink: () => sink as Sink });
    const res = await fetch(`${url}/api/wan/a/b/c/data.csv?from=1970-01-01&to=1970-01-02`);
    expect(res.status).to.equal(200);
    expect(await res.text()).to.equal('time,v\n1970-01-01T00:00:01Z,1.5\n');
  });
});
