import { expect } from 'chai';
import { debugNamespaces } from '../../lib/cli/debug-flags.js';

describe("cli/debug-flags: Kotori's debug flags", () => {
  it('maps each flag to the namespaces that do its work in daqd', () => {
    expect(debugNamespaces({})).to.deep.equal([]);
    expect(debugNamespaces({ 'debug-mqtt': true })).to.deep.equal(['daqd:realm']);
    expect(debugNamespaces({ 'debug-mqtt-driver': true })).to.deep.equal([
      'daqd:realm:*:mqtt',
      'daqd:broker',
    ]);
    expect(debugNamespaces({ 'debug-influx': true })).to.deep.equal([
      'daqd:influxdb',
      'daqd:sqlite',
      'daqd:storage',
      'daqd:spool',
    ]);
    expect(debugNamespaces({ 'debug-io': true })).to.deep.equal(['daqd:http']);
  });

  it('turns on the named realms for --debug-vendor, given as lists or repeated', () => {
    expect(
      debugNamespaces({ 'debug-vendor': ['hiveeyes,lst', 'luftdaten'], 'debug-io': true }),
    ).to.deep.equal(['daqd:http', 'daqd:realm:hiveeyes', 'daqd:realm:lst', 'daqd:realm:luftdaten']);
  });
});
