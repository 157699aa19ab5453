import { expect } from 'chai';
import { parseNameTemplate, realmToStorage } from '../../../lib/acquire/sanitize/storage-address.js';
import { DecodeError } from '../../../lib/core/errors.js';

function template(text: string) {
  const result = parseNameTemplate(text, ['realm', 'node', 'project', 'serial']);
  if (!('template' in result)) throw new Error(result.problem);
  return result.template;
}

describe('realmToStorage (which databases and measurements hold a realm)', () => {
  it("default names: the realm's databases, a node per LAN database, a node per WAN measurement, no events", () => {
    const s = realmToStorage('My-Realm');
    expect(s.holds('my_realm_n1')).to.equal(true);
    expect(s.holds('my_realm')).to.equal(false);
    expect(s.holds('other_n1')).to.equal(false);
    expect(s.seriesOf('my_realm_n1', 'sensors')).to.deep.equal({
      database: 'my_realm_n1',
      measurement: 'sensors',
      node: 'n1',
    });
    expect(s.seriesOf('my_realm_n1', 'events')).to.equal(undefined);
    expect(s.seriesOf('my_realm_net', 'gw_node_sensors')).to.deep.equal({
      database: 'my_realm_net',
      measurement: 'gw_node_sensors',
      node: 'net/gw_node',
    });
    expect(s.seriesOf('my_realm_net', 'gw_node_events')).to.equal(undefined);
    expect(s.seriesOf('other_n1', 'sensors')).to.equal(undefined);
  });

  it('naming templates: the literal start of the database template, exact when it has no other placeholder', () => {
    const prefixed = realmToStorage('mysense', {
      database: template('{realm}-{project}'),
      measurement: template('data'),
    });
    expect(prefixed.holds('mysense_luchtmeetnet')).to.equal(true);
    expect(prefixed.seriesOf('mysense_luchtmeetnet', 'data')).to.deep.equal({
      database: 'mysense_luchtmeetnet',
      measurement: 'data',
      node: 'luchtmeetnet/data',
    });
    expect(prefixed.seriesOf('mysense_luchtmeetnet', 'data_events')).to.equal(undefined);
    const fixed = realmToStorage('isems', { database: template('ISEMS'), measurement: template('{node}') });
    expect(fixed.holds('isems')).to.equal(true);
    expect(fixed.holds('isems_x')).to.equal(false);
    expect(fixed.seriesOf('isems', 'elektra_dach')?.node).to.equal('elektra_dach');
    expect(() => realmToStorage('m', { database: template('{project}_{serial}') })).to.throw(
      DecodeError,
      /starts with a placeholder/,
    );
  });
});
