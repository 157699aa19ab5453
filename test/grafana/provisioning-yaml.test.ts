import { expect } from 'chai';
import { parse } from 'yaml';
import { datasourcesYaml, datasourceUid } from '../../lib/grafana/datasource-file.js';
import { providerYaml } from '../../lib/grafana/provider-file.js';

/**
 * The fields Grafana's provisioning documentation ("Provision Grafana", Grafana 10/11) lists for a
 * data source entry, and for InfluxDB's `jsonData` ("InfluxDB data source", InfluxQL).
 */
const DATASOURCE_FIELDS = [
  'name',
  'type',
  'access',
  'orgId',
  'uid',
  'url',
  'user',
  'database',
  'basicAuth',
  'basicAuthUser',
  'withCredentials',
  'isDefault',
  'jsonData',
  'secureJsonData',
  'version',
  'editable',
];
const INFLUX_JSON_DATA = ['dbName', 'httpMode', 'version', 'timeInterval', 'tlsSkipVerify'];
/** A dashboard provider entry's documented fields. */
const PROVIDER_FIELDS = [
  'name',
  'orgId',
  'folder',
  'folderUid',
  'type',
  'disableDeletion',
  'updateIntervalSeconds',
  'allowUiUpdates',
  'options',
];

type Entry = Record<string, unknown>;

describe('grafana: provisioning YAML', () => {
  describe('datasourcesYaml', () => {
    const yaml = datasourcesYaml(['hiveeyes_testdrive', 'amo_lab'], {
      url: 'http://influxdb:8086',
      username: 'grafana',
      password: 'secret',
    });
    const doc = parse(yaml) as { apiVersion: number; datasources: Entry[] };

    it('is apiVersion 1 with a datasources list, one InfluxDB entry per database in name order', () => {
      expect(Object.keys(doc)).to.deep.equal(['apiVersion', 'datasources']);
      expect(doc.apiVersion).to.equal(1);
      expect(doc.datasources.map((d) => d.name)).to.deep.equal(['amo_lab', 'hiveeyes_testdrive']);
    });

    it('uses only documented fields, with InfluxQL over the backend and the password kept secure', () => {
      for (const entry of doc.datasources) {
        expect(DATASOURCE_FIELDS).to.include.members(Object.keys(entry));
        expect(INFLUX_JSON_DATA).to.include.members(Object.keys(entry.jsonData as Entry));
      }
      expect(doc.datasources[1]).to.deep.equal({
        name: 'hiveeyes_testdrive',
        uid: datasourceUid('hiveeyes_testdrive'),
        type: 'influxdb',
        access: 'proxy',
        orgId: 1,
        url: 'http://influxdb:8086',
        database: 'hiveeyes_testdrive',
        user: 'grafana',
        jsonData: { dbName: 'hiveeyes_testdrive', httpMode: 'GET' },
        secureJsonData: { password: 'secret' },
        editable: false,
      });
      expect(yaml).to.match(/^# Written by daqd/);
    });

    it('leaves user and password out when InfluxDB needs no login', () => {
      const [entry] = (parse(datasourcesYaml(['a'], { url: 'http://x:8086' })) as { datasources: Entry[] })
        .datasources;
      expect(entry).to.not.have.any.keys('user', 'secureJsonData');
    });

    it('quotes what YAML would read otherwise (a password like yes, or with a colon and hash)', () => {
      for (const password of ['yes', 'a: #b', '0123', 'it\'s "q"']) {
        const [entry] = (
          parse(datasourcesYaml(['a'], { url: 'http://x:8086', password })) as { datasources: Entry[] }
        ).datasources;
        expect((entry?.secureJsonData as Entry | undefined)?.password).to.equal(password);
      }
    });

    it('writes an empty list without databases', () => {
      expect(parse(datasourcesYaml([], { url: 'http://x:8086' }))).to.deep.equal({
        apiVersion: 1,
        datasources: [],
      });
    });
  });

  describe('providerYaml', () => {
    it('is one file provider of the dashboards folder, documented fields only, no UI saves', () => {
      const doc = parse(providerYaml({ dashboardsDir: '/var/lib/grafana/daqd', folder: 'Bees' })) as {
        apiVersion: number;
        providers: Entry[];
      };
      expect(doc.apiVersion).to.equal(1);
      expect(doc.providers).to.have.length(1);
      const provider = doc.providers[0] as Entry;
      expect(PROVIDER_FIELDS).to.include.members(Object.keys(provider));
      expect(provider).to.deep.equal({
        name: 'daqd',
        orgId: 1,
        folder: 'Bees',
        type: 'file',
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 10,
        options: { path: '/var/lib/grafana/daqd', foldersFromFilesStructure: false },
      });
    });
  });
});
