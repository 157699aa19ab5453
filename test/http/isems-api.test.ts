import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Context } from 'koa';
import { SqliteSink } from '../../lib/acquire/sink/sqlite.js';
import type { RealmApp } from '../../lib/config/settings.js';
import { silentLog } from '../../lib/core/log.js';
import type { Point } from '../../lib/core/point.js';
import { handleIsems, type IsemsRequest } from '../../lib/http/isems-api.js';

const S = 1_000_000_000n;
const NOW = 1_800_000_000n;

const app: RealmApp = {
  name: 'isems',
  file: '/apps/isems.ini',
  line: 1,
  realm: 'isems',
  strategy: 'template',
  mqtt_topics: ['/isems/+/csvlog'],
  mqtt: {} as RealmApp['mqtt'],
  tags: [],
  http_ingest: false,
  http_export: false,
  hide_inactive_after_days: 30,
  isems_api: true,
  isems_timezone: 'UTC',
  metrics_logger_interval: 0,
  forwarders: [],
  ingest_routes: [],
};

/** A stored ISEMS reading of `nodeId` at epoch second `t`. */
function reading(nodeId: string | undefined, t: bigint, timeToShutdown: number): Point {
  const own: Record<string, string> = nodeId === undefined ? {} : { nodeId };
  const fields: Point['fields'] = { ...own, isemsRevision: 1, timeToShutdown, isPowerSaveMode: 0 };
  return { measurement: 'sensors', tags: {}, fields, time: t * S };
}

async function ask(
  sink: SqliteSink,
  request: IsemsRequest,
  query: Record<string, string> = {},
  others: readonly RealmApp[] = [],
) {
  const answer = { status: 0, body: undefined as unknown };
  const koa = {
    query,
    set status(value: number) {
      answer.status = value;
    },
    set body(value: unknown) {
      answer.body = value;
    },
  };
  await handleIsems(koa as unknown as Context, app, request, sink, NOW * S, others);
  expect(answer.status).to.equal(200);
  return (answer.body as { measurements: Record<string, unknown>[] }).measurements;
}

describe('handleIsems (embedded store in process)', () => {
  let dataDir: string;
  let sink: SqliteSink;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'daqd-isems-'));
    sink = new SqliteSink({ dataDir, log: silentLog() });
    await sink.start();
    // One node's lines fetched by address (database of the host) and sent over MQTT by name, overlapping.
    await sink.write('isems_10_36_158_33', [
      reading('Elektra-Dach', NOW - 300n, 3),
      reading('Elektra-Dach', NOW - 200n, 2),
    ]);
    await sink.write('isems_elektra_dach', [
      reading('Elektra-Dach', NOW - 200n, 2),
      reading('Elektra-Dach', NOW - 100n, 1),
    ]);
    // A reading without its own nodeId: the node it is stored under.
    await sink.write('isems_bare', [reading(undefined, NOW - 50n, 9)]);
    // Another realm's database, and events: neither is read.
    await sink.write('other_node', [reading('Elektra-Dach', NOW - 10n, 99)]);
    await sink.write('isems_elektra_dach', [
      { measurement: 'events', tags: {}, fields: { title: 'x' }, time: NOW * S },
    ]);
  });

  after(async () => {
    await sink.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('one node however many databases hold its lines: the newest, other realms left out', async () => {
    const list = await ask(sink, { kind: 'isems-latest' });
    expect(list.map((m) => [m['nodeId'], m['timeToShutdown'], m['timestamp']])).to.deep.equal([
      ['Elektra-Dach', 1, '2027-01-15T07:58:20'],
      ['bare', 9, '2027-01-15T07:59:10'],
    ]);
  });

  it("another running realm's databases are its own, though Kotori's names would match both", async () => {
    // Realm `isems-x`'s node `n1`: database `isems_x_n1`, which realm `isems`'s prefix matches too.
    await sink.write('isems_x_n1', [reading('Intruder', NOW - 5n, 0)]);
    const other = { ...app, name: 'isems-x', realm: 'isems-x' };
    const mine = await ask(sink, { kind: 'isems-latest' }, {}, [app, other]);
    expect(mine.map((m) => m['nodeId'])).to.deep.equal(['Elektra-Dach', 'bare']);
    const alone = await ask(sink, { kind: 'isems-latest' });
    expect(alone.map((m) => m['nodeId'])).to.deep.equal(['Elektra-Dach', 'Intruder', 'bare']);
  });

  it("a node's measurements merged from its databases, newest first, a time stored twice counted once", async () => {
    const list = await ask(sink, { kind: 'isems-node', nodeId: 'Elektra-Dach' });
    expect(list.map((m) => m['timeToShutdown'])).to.deep.equal([1, 2, 3]);
    expect(await ask(sink, { kind: 'isems-node', nodeId: 'bare' })).to.have.length(1);
    expect(await ask(sink, { kind: 'isems-node', nodeId: 'nobody' })).to.deep.equal([]);
  });
});
