import { expect } from 'chai';
import { parseIni } from '../../lib/config/ini-file.js';
import { readMainSettings } from '../../lib/config/main-settings.js';
import { readRealmApps } from '../../lib/config/realm-apps.js';

const main = readMainSettings(parseIni('[mqtt]\nhost = broker\n', '/etc/daqd/daqd.ini').ini, {}).settings;

function apps(lines: string[]) {
  return readRealmApps([parseIni(lines.join('\n'), '/apps/a.ini').ini], main);
}

describe('config/realm-apps: the app key csv_fields = …', () => {
  it('reads the isems preset and a column list for template apps, and leaves it unset without the key', () => {
    const {
      apps: list,
      problems,
      warnings,
    } = apps([
      '[isems]',
      'type = application',
      'realm = isems',
      'topic_template = /isems/{node}/csvlog',
      'csv_fields = isems',
      '[own]',
      'type = application',
      'realm = own',
      'topic_template = logs/{node}',
      'csv_fields = node, time, volts, flags?:hex',
      '[plain]',
      'type = application',
      'realm = plain',
      'topic_template = sensors/{node}/{field}',
    ]);
    expect(problems.map((p) => p.format())).to.deep.equal([]);
    expect(warnings).to.deep.equal([]);
    const [isems, own, plain] = list;
    expect(isems?.csv_fields).to.have.length(19);
    expect(isems?.mqtt_topics).to.deep.equal(['/isems/+/csvlog']);
    expect(own?.csv_fields?.map((c) => c.name)).to.deep.equal(['node', 'time', 'volts', 'flags']);
    expect(plain?.csv_fields).to.equal(undefined);
  });

  it('refuses csv_fields on mqttkit or basic, with decoder, or malformed, as file:line', () => {
    const { apps: list, problems } = apps([
      '[a]',
      'type = application',
      'realm = a',
      'application = mqttkit',
      'csv_fields = isems',
      '[b]',
      'type = application',
      'realm = b',
      'topic_template = x/{node}',
      'csv_fields = a?, b',
      '[c]',
      'type = application',
      'realm = c',
      'topic_template = y/{node}',
      'decoder = ttn',
      'csv_fields = isems',
    ]);
    expect(list).to.deep.equal([]);
    expect(problems.map((p) => p.format())).to.deep.equal([
      '/apps/a.ini:5: a.csv_fields: only an app with a topic_template takes csv_fields',
      "/apps/a.ini:10: b.csv_fields: column 'b' follows an optional one: only trailing columns are optional",
      '/apps/a.ini:16: c.csv_fields: csv_fields and decoder both say how payloads are read: keep one',
    ]);
  });
});
