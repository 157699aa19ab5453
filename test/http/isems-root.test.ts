import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SqliteSink } from '../../lib/acquire/sink/sqlite.js';
import { ChannelStats } from '../../lib/channel/channel-stats.js';
import type { RealmApp } from '../../lib/config/settings.js';
import { silentLog } from '../../lib/core/log.js';
import { Metrics } from '../../lib/core/metrics.js';
import { type HttpChannel, HttpServer } from '../../lib/http/server.js';

const S = 1_000_000_000n;

function channel(realm: string, isemsApi: boolean): HttpChannel {
  const app: RealmApp = {
    name: realm,
    file: `/apps/${realm}.ini`,
    line: 1,
    realm,
    strategy: 'template',
    mqtt_topics: [`/${realm}/+/csvlog`],
    mqtt: {} as RealmApp['mqtt'],
    tags: [],
    http_ingest: false,
    http_export: false,
    hide_inactive_after_days: 0,
    isems_api: isemsApi,
    isems_timezone: 'UTC',
    metrics_logger_interval: 0,
    forwarders: [],
    ingest_routes: [],
  };
  return { app, httpSource: undefined, stats: new ChannelStats() };
}

describe('ISEMS API at the root: /measurements/… (real HTTP server and embedded store in process)', () => {
  let dir: string;
  let sink: SqliteSink;
  let running: HttpChannel[] = [];
  let restarting: ((realm: string) => Promise<HttpChannel | undefined> | undefined) | undefined;
  let server: HttpServer;
  let url = '';

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-isems-root-'));
    sink = new SqliteSink({ dataDir: dir, log: silentLog() });
    await sink.start();
    await sink.write('isems_n1', [
      { measurement: 'sensors', tags: {}, fields: { nodeId: 'N1', status: 0x300 }, time: 1530364575n * S },
    ]);
    await sink.write('other_n2', [
      { measurement: 'sensors', tags: {}, fields: { nodeId: 'N2' }, time: 1530364575n * S },
    ]);
    server = new HttpServer({
      listen: '127.0.0.1',
      port: 0,
      log: silentLog(),
      health: async () => ({ ok: true }),
      settings: {
        http: { max_body_size: 4096 },
        daqd: { data_dir: dir, timezone: 'UTC', shutdown_timeout: 2 },
      },
      ready: () => true,
      channel: (realm) => running.find((c) => c.app.realm === realm),
      channels: () => running,
      restarting: (realm) => restarting?.(realm),
      sink: () => sink,
      metrics: new Metrics({ channels: () => running, queueDepth: () => 0 }),
    });
    await server.start();
    url = `http://127.0.0.1:${server.port}`;
  });

  after(async () => {
    await server?.stop();
    await sink?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function get(pathAndQuery: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(url + pathAndQuery);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('answers for the one realm with isems_api; none is a 404 saying how to enable it', async () => {
    running = [channel('other', false)];
    const none = await get('/measurements/latest');
    expect(none.status).to.equal(404);
    expect(none.body['message']).to.equal(
      "no realm serves the ISEMS API here (set 'isems_api = true' in its app)",
    );
    running = [channel('other', false), channel('isems', true)];
    const one = await get('/measurements/latest');
    expect(one.status).to.equal(200);
    expect(
      (one.body['measurements'] as Record<string, unknown>[]).map((m) => [m['nodeId'], m['status']]),
    ).to.deep.equal([['N1', '0x300']]);
    const node = await get('/measurements/N1/latest');
    expect((node.body['measurements'] as unknown[]).length).to.equal(1);
    expect((await get('/measurements/N%2F1/latest')).status).to.equal(400);
  });

  it('several realms with isems_api: 404 naming their /api/<realm>/measurements bases', async () => {
    running = [channel('isems', true), channel('other', true)];
    const both = await get('/measurements/latest');
    expect(both.status).to.equal(404);
    expect(both.body['message']).to.equal(
      'several realms serve the ISEMS API; ask one of them: /api/isems/measurements/…, /api/other/measurements/…',
    );
  });

  it('waits for the realm that answered last while it restarts for a changed app', async () => {
    running = [channel('isems', true)];
    expect((await get('/measurements/latest')).status).to.equal(200);
    running = [];
    const back = channel('isems', true);
    restarting = (realm) =>
      realm === 'isems'
        ? new Promise((resolve) =>
            setTimeout(() => {
              running = [back];
              resolve(back);
            }, 200),
          )
        : undefined;
    const started = Date.now();
    const res = await get('/measurements/latest');
    expect(res.status).to.equal(200);
    expect(Date.now() - started).to.be.at.least(150);
    restarting = undefined;
  });
});
