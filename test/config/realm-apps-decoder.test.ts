import { expect } from 'chai';
import { APP_DECODER_NAMES } from '../../lib/acquire/decode/app-decoder.js';
import { parseIni } from '../../lib/config/ini-file.js';
import { readMainSettings } from '../../lib/config/main-settings.js';
import { readRealmApps } from '../../lib/config/realm-apps.js';

const main = readMainSettings(parseIni('[mqtt]\nhost = broker\n', '/etc/daqd/daqd.ini').ini, {}).settings;

function apps(text: string) {
  return readRealmApps([parseIni(text, '/apps/a.ini').ini], main);
}

describe('config/realm-apps: the app key decoder = …', () => {
  it('keeps a decoder the registry has, and leaves it unset without the key', () => {
    const {
      apps: list,
      problems,
      warnings,
    } = apps(
      [
        '[a]',
        'type = application',
        'realm = a',
        'topic_template = v3/{application}/devices/{node}/up',
        'decoder = ttn',
        '[b]',
        'type = application',
        'realm = b',
        'application = mqttkit',
        'decoder = line-protocol',
        '[c]',
        'type = application',
        'realm = c',
        'application = basic',
      ].join('\n'),
    );
    expect(problems.map((p) => p.format())).to.deep.equal([]);
    expect(warnings).to.deep.equal([]);
    expect(list.map((app) => [app.realm, app.strategy, app.decoder])).to.deep.equal([
      ['a', 'template', 'ttn'],
      ['b', 'mqttkit', 'line-protocol'],
      ['c', 'basic', undefined],
    ]);
  });

  it('refuses an unknown decoder as file:line naming the known ones, with a did-you-mean', () => {
    const known = APP_DECODER_NAMES.join(', ');
    const {
      apps: list,
      problems,
      invalidRealms,
    } = apps(
      [
        '[a]',
        'type = application',
        'realm = a',
        'application = mqttkit',
        'decoder = tnn',
        '[b]',
        'type = application',
        'realm = b',
        'application = mqttkit',
        'decoder = csv',
        '[c]',
        'type = application',
        'realm = c',
        'application = mqttkit',
        'decoder = nothing-like-it',
        '[d]',
        'type = application',
        'realm = d',
        'application = basic',
      ].join('\n'),
    );
    expect(list.map((app) => app.realm)).to.deep.equal(['d']);
    expect([...invalidRealms].sort()).to.deep.equal(['a', 'b', 'c']);
    expect(problems.map((p) => p.format())).to.deep.equal([
      `/apps/a.ini:5: a.decoder: unknown decoder 'tnn' (known: ${known}) (did you mean 'ttn'?)`,
      `/apps/a.ini:10: b.decoder: decoder 'csv' reads HTTP bodies only (chosen by their Content-Type), not MQTT payloads (known: ${known})`,
      `/apps/a.ini:15: c.decoder: unknown decoder 'nothing-like-it' (known: ${known})`,
    ]);
  });
});
