import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Context } from 'koa';
import { SqliteSink } from '../../lib/acquire/sink/sqlite.js';
import type { RealmApp } from '../../lib/config/settings.js';
import { DecodeError, NotFoundError, QueryError } from '../../lib/core/errors.js';
import { silentLog } from '../../lib/core/log.js';
import type { Point } from '../../lib/core/point.js';
import { handleLatest, type LatestEntry } from '../../lib/http/latest.js';

const S = 1_000_000_000n;
const DAY = 86_400n * S;
const NOW = 1_800_000_000n * S;

function app(realm: string, strategy: string, hideAfterDays = 7): RealmApp {
  return {
    name: realm,
    file: `/apps/${realm}.ini`,
    line: 1,
    realm,
    strategy,
    mqtt_topics: [`${realm}/#`],
    mqtt: {} as RealmApp['mqtt'],
    tags: [],
    http_ingest: false,
    http_export: true,
    hide_inactive_after_days: hideAfterDays,
    metrics_logger_interval: 0,
    forwarders: [],
    ingest_routes: [],
  };
}

function point(measurement: string, time: bigint, fields: Point['fields']): Point {
  return { measurement, tags: {}, fields, time };
}

/** What `handleLatest` reads and sets of a Koa context. */
interface Answer {
  status: number;
  body: LatestEntry[];
  headers: Record<string, string>;
}

async function latest(
  sink: SqliteSink,
  realmApp: RealmApp,
  segment: string,
  query: Record<string, string> = {},
): Promise<Answer> {
  const answer = { status: 0, body: [] as LatestEntry[], headers: {} as Record<string, string> };
  const koa = {
    query,
    set(name: string, value: string) {
      answer.headers[name] = value;
    },
    set status(value: number) {
      answer.status = value;
    },
    set body(value: LatestEntry[]) {
      answer.body = value;
    },
  };
  await handleLatest(koa as unknown as Context, realmApp, segment, sink, NOW);
  return answer;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('handleLatest', () => {
  let dataDir: string;
  let sink: SqliteSink;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'daqd-latest-'));
    sink = new SqliteSink({ dataDir, log: silentLog() });
    await sink.start();
    // WAN realm `wan`, network `exp`: database `wan_exp`, one measurement per gateway and node.
    await sink.write('wan_exp', [
      point('gw_node_sensors', NOW - 2n * DAY, { temperature: 20 }),
      point('gw_node_sensors', NOW - DAY, { temperature: 21, humidity: 60 }),
      point('gw_node_events', NOW - S, { title: 'reboot' }),
      point('gw_b_sensors', NOW - 3n * DAY, { temperature: 7 }),
      point('old_node_sensors', NOW - 30n * DAY, { temperature: 5 }),
    ]);
    // LAN realm `lan`: a database per node.
    await sink.write('lan_n1', [
      point('sensors', NOW - 2n * S, { weight: 40.5 }),
      point('sensors', NOW - S, { weight: 41 }),
      point('events', NOW, { title: 'swarm' }),
    ]);
  });

  after(async () => {
    await sink.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('WAN: the newest reading of every node of a network, sorted by node; events are no node', async () => {
    const answer = await latest(sink, app('wan', 'mqttkit'), 'exp');
    expect(answer.status).to.equal(200);
    expect(answer.body).to.deep.equal([
      { node: 'gw_b', measurement: 'gw_b_sensors', time: '2027-01-12T08:00:00Z', data: { temperature: 7 } },
      {
        node: 'gw_node',
        measurement: 'gw_node_sensors',
        time: '2027-01-14T08:00:00Z',
        data: { temperature: 21, humidity: 60 },
      },
    ]);
    expect(answer.headers['Hidden-Nodes']).to.equal('1');
  });

  it('WAN: all=true shows the nodes silent for longer than hide_inactive_after_days', async () => {
    const answer = await latest(sink, app('wan', 'mqttkit'), 'exp', { all: 'true' });
    expect(answer.body.map((entry) => entry.node)).to.deep.equal(['gw_b', 'gw_node', 'old_node']);
    expect(answer.headers['Hidden-Nodes']).to.equal('0');
    expect(
      (await latest(sink, app('wan', 'mqttkit'), 'exp', { all: 'no' })).headers['Hidden-Nodes'],
    ).to.equal('1');
  });

  it('hide_inactive_after_days = 0 hides no node; a shorter window hides more', async () => {
    const never = await latest(sink, app('wan', 'mqttkit', 0), 'exp');
    expect(never.body.map((entry) => entry.node)).to.deep.equal(['gw_b', 'gw_node', 'old_node']);
    const short = await latest(sink, app('wan', 'mqttkit', 2), 'exp');
    expect(short.body.map((entry) => entry.node)).to.deep.equal(['gw_node']);
    expect(short.headers['Hidden-Nodes']).to.equal('2');
  });

  it('LAN: the segment is the node, its database its own', async () => {
    const answer = await latest(sink, app('lan', 'basic'), 'n1');
    expect(answer.body).to.deep.equal([
      { node: 'n1', measurement: 'sensors', time: '2027-01-15T07:59:59Z', data: { weight: 41 } },
    ]);
    expect(answer.headers['Hidden-Nodes']).to.equal('0');
  });

  it('the same name means a network to a WAN realm and a node to a LAN realm', async () => {
    const err = await rejection(latest(sink, app('lan', 'mqttkit'), 'n1'));
    expect(err).to.be.instanceOf(NotFoundError);
    expect(err.message).to.equal("no data for network 'n1' (database 'lan_n1')");
    const wanAsLan = await rejection(latest(sink, app('wan', 'basic'), 'exp'));
    expect(wanAsLan.message).to.equal("no data for node 'exp' (database 'wan_exp')");
  });

  it('404 for a network without data', async () => {
    const err = await rejection(latest(sink, app('wan', 'mqttkit'), 'nowhere'));
    expect(err).to.be.instanceOf(NotFoundError);
    expect(err.message).to.equal("no data for network 'nowhere' (database 'wan_nowhere')");
  });

  it('names the database as ingest does: sanitized, lower case', async () => {
    const answer = await latest(sink, app('WAN', 'mqttkit'), 'Exp');
    expect(answer.body.map((entry) => entry.node)).to.deep.equal(['gw_b', 'gw_node']);
  });

  it('refuses a segment no database can be named after, and an all that is not a flag', async () => {
    expect(await rejection(latest(sink, app('wan', 'mqttkit'), 'a\nb'))).to.be.instanceOf(DecodeError);
    expect(await rejection(latest(sink, app('wan', 'mqttkit'), 'exp', { all: 'maybe' }))).to.be.instanceOf(
      QueryError,
    );
  });
});
