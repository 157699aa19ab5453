import { expect } from 'chai';
import { compileForwarder, ingestRoutes } from '../../lib/config/forwarder-route.js';
import type { Forwarder, RealmApp } from '../../lib/config/settings.js';
import { NotFoundError, QueryError } from '../../lib/core/errors.js';
import { type ApiRoute, ApiRoutes, pathSegments } from '../../lib/http/api-routes.js';

/** An app as the configuration loads it: its forwarders compiled into ingest routes. */
function app(realm: string, extra: Partial<RealmApp> = {}): RealmApp {
  const file = `/apps/${realm}.ini`;
  const routes = (extra.forwarders ?? []).map((f) => compileForwarder(f));
  return {
    name: realm,
    file,
    line: 1,
    realm,
    strategy: 'mqttkit',
    mqtt_topics: [`${realm}/#`],
    mqtt: {} as RealmApp['mqtt'],
    tags: [],
    http_ingest: true,
    http_export: true,
    hide_inactive_after_days: 30,
    metrics_logger_interval: 0,
    forwarders: [],
    ingest_routes: ingestRoutes(routes, { section: realm, file, line: 1, realm }),
    ...extra,
  };
}

function forwarder(source: string, target: string): Forwarder {
  return { section: 'x.http', file: '/apps/x.ini', line: 7, source, target };
}

describe('ApiRoutes', () => {
  const routes = new ApiRoutes();
  const match = (path: string, realmApp: RealmApp): ApiRoute =>
    routes.match(path, pathSegments(path.slice('/api/'.length)), realmApp);

  it('routes ingest, export and latest of a realm with http_api', () => {
    const wan = app('wan');
    expect(match('/api/wan/net/gw/node/data', wan)).to.deep.equal({
      kind: 'ingest',
      methods: ['POST'],
      topic: 'wan/net/gw/node/data.json',
      slot: 'data',
    });
    expect(match('/api/wan/device/ESP-1/event', wan)).to.deep.include({
      topic: 'wan/device/ESP-1/event.json',
      slot: 'event',
    });
    expect(match('/api/wan/net/gw/node/data.csv', wan)).to.deep.equal({
      kind: 'export',
      methods: ['GET', 'HEAD'],
      address: ['net', 'gw', 'node'],
      slot: 'data',
      suffix: 'csv',
    });
    expect(match('/api/wan/net/gw/node/event.vega.json', wan)).to.deep.include({
      slot: 'event',
      suffix: 'vega.json',
    });
    expect(match('/api/wan/net/latest', wan)).to.deep.equal({
      kind: 'latest',
      methods: ['GET', 'HEAD'],
      network: 'net',
    });
  });

  it('uses only the forwarders of a realm that has ingest forwarders, with their topic template', () => {
    const custom = app('custom', {
      forwarders: [
        forwarder(
          'http:/api/custom/{node}/{slot:(data|event)} [POST]',
          'mqtt:/custom/site/gw/{node}/{slot}.json',
        ),
      ],
    });
    expect(match('/api/custom/n1/event', custom)).to.deep.equal({
      kind: 'ingest',
      methods: ['POST'],
      topic: 'custom/site/gw/n1/event.json',
      slot: 'event',
    });
    expect(() => match('/api/custom/a/b/c/data', custom)).to.throw(NotFoundError, /no such resource/);
  });

  it('reads data or event from the topic when the pattern has no {slot}', () => {
    const realmApp = app('r', {
      forwarders: [forwarder('http:/api/r/{node}/ev [POST]', 'mqtt:/r/{node}/event.json')],
    });
    expect(match('/api/r/n/ev', realmApp)).to.deep.include({ slot: 'event' });
  });

  it('takes the methods of an ingest forwarder as they are written', () => {
    const put = app('put', {
      forwarders: [
        forwarder('http:/api/put/{node}/{slot:(data|event)} [POST, PUT]', 'mqtt:/put/{node}/{slot}.json'),
      ],
    });
    expect(match('/api/put/n/data', put)).to.deep.include({
      methods: ['POST', 'PUT'],
      topic: 'put/n/data.json',
    });
  });

  it('offers only the enabled parts: 404 saying what the realm offers', () => {
    const exportOnly = app('exp', { http_ingest: false });
    expect(() => match('/api/exp/a/b/c/data', exportOnly)).to.throw(
      NotFoundError,
      /offers GET \/api\/exp\/<address>/,
    );
    const ingestOnly = app('ing', { http_export: false });
    expect(() => match('/api/ing/a/b/c/data.csv', ingestOnly)).to.throw(NotFoundError, /offers POST/);
    expect(() => match('/api/ing/a/latest', ingestOnly)).to.throw(NotFoundError);
    const none = app('none', { http_ingest: false, http_export: false });
    expect(() => match('/api/none/a/b/c/data', none)).to.throw(NotFoundError, /offers no HTTP API/);
  });
});

describe('ApiRoutes: realm-wide latest, template apps, the ISEMS API', () => {
  const routes = new ApiRoutes();
  const match = (path: string, realmApp: RealmApp): ApiRoute =>
    routes.match(path, pathSegments(path.slice('/api/'.length)), realmApp);
  const template = { text: '/isems/{node}/csvlog', levels: [], names: ['node'], filter: '/isems/+/csvlog' };

  it('/api/<realm>/latest is the whole realm for every strategy with export', () => {
    for (const strategy of ['mqttkit', 'basic']) {
      expect(match('/api/r/latest', app('r', { strategy }))).to.deep.equal({
        kind: 'latest',
        methods: ['GET', 'HEAD'],
      });
    }
    expect(() => match('/api/r/latest', app('r', { http_export: false }))).to.throw(NotFoundError);
  });

  it('a template app has the realm-wide latest only: no per-network latest, no export paths', () => {
    const tele = app('tele', { strategy: 'template', topic_template: template, http_ingest: false });
    expect(match('/api/tele/latest', tele)).to.include({ kind: 'latest' });
    expect(() => match('/api/tele/kitchen/latest', tele)).to.throw(
      NotFoundError,
      /offers GET \/api\/tele\/latest$/,
    );
    expect(() => match('/api/tele/kitchen/data.csv', tele)).to.throw(NotFoundError);
  });

  it('isems_api: /measurements/latest and /measurements/<nodeId>/latest first, even without http_api', () => {
    const isems = app('isems', { isems_api: true, http_ingest: false, http_export: false });
    expect(match('/api/isems/measurements/latest', isems)).to.deep.equal({
      kind: 'isems',
      methods: ['GET', 'HEAD'],
      request: { kind: 'isems-latest' },
    });
    expect(match('/api/isems/measurements/Elektra%20Dach/latest', isems)).to.deep.equal({
      kind: 'isems',
      methods: ['GET', 'HEAD'],
      request: { kind: 'isems-node', nodeId: 'Elektra Dach' },
    });
    expect(() => match('/api/isems/measurements/a/b/latest', isems)).to.throw(
      NotFoundError,
      /offers GET \/api\/isems\/measurements\/latest, GET \/api\/isems\/measurements\/<nodeId>\/latest/,
    );
    // Without the key, `measurements` is a network like any other.
    expect(match('/api/wan/measurements/latest', app('wan'))).to.deep.include({
      kind: 'latest',
      network: 'measurements',
    });
  });
});

describe('pathSegments', () => {
  it('decodes each segment', () => {
    expect(pathSegments('wan/area%2042/n%C3%B6de/data')).to.deep.equal(['wan', 'area 42', 'nöde', 'data']);
  });

  it("refuses malformed percent-encoding and an encoded '/'", () => {
    expect(() => pathSegments('wan/%E0%A4%A/data')).to.throw(QueryError, /not valid percent-encoding/);
    expect(() => pathSegments('wan/a%2Fb/data')).to.throw(QueryError, /holds an encoded '\/'/);
  });
});
