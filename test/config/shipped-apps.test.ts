import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { parseIni } from '../../lib/config/ini-file.js';
import { readMainSettings } from '../../lib/config/main-settings.js';
import { readRealmApps } from '../../lib/config/realm-apps.js';
import { ROOT } from '../support/daqd.js';

const AVAILABLE = path.join(ROOT, 'apps-available');
const main = readMainSettings(
  parseIni('[influxdb]\nhost = 127.0.0.1\n', '/etc/daqd/daqd.ini').ini,
  {},
).settings;

/** The ready apps for the vendors and topic layouts the README documents, by file, with their realm. */
const READY: Readonly<Record<string, string>> = {
  'tasmota.ini': 'tasmota',
  'ttn.ini': 'ttn',
  'ttn-mqtt.ini': 'ttn-mqtt',
  'airrohr.ini': 'airrohr',
  'telegraf-sensors.ini': 'sensors',
  'mysense.ini': 'mysense',
  'isems.ini': 'isems',
  'telegraf.ini': 'telegraf',
};

describe('apps-available: every shipped app loads as daqd check reads it', () => {
  const files = readdirSync(AVAILABLE).filter((file) => file.endsWith('.ini'));

  it('ships the ready vendor and layout apps', () => {
    expect(files).to.include.members(Object.keys(READY));
  });

  for (const file of files) {
    it(`${file}: one enabled app, no problem, no warning`, async () => {
      const text = await readFile(path.join(AVAILABLE, file), 'utf8');
      const result = readRealmApps([parseIni(text, path.join(AVAILABLE, file)).ini], main);
      expect(result.problems.map((p) => p.format())).to.deep.equal([]);
      expect(result.warnings).to.deep.equal([]);
      expect(result.apps).to.have.length(1);
      if (READY[file] !== undefined) expect(result.apps[0]?.realm).to.equal(READY[file]);
    });
  }
});
