import { expect } from 'chai';
import type { DatabaseTopology, Topology } from '../../../lib/acquire/decode/topology.js';
import {
  databaseToStorage,
  EARLIEST_TIME,
  LATEST_TIME,
  measurementOf,
  parseNameTemplate,
  topologyToStorage,
} from '../../../lib/acquire/sanitize/storage-address.js';
import { parseTimestamp } from '../../../lib/acquire/sanitize/timestamp.js';
import { selectStatement } from '../../../lib/acquire/sink/influxql.js';
import { DecodeError } from '../../../lib/core/errors.js';
import { storageCases } from './storage-address.fixtures.js';

describe('topologyToStorage', () => {
  for (const c of storageCases) {
    it(c.name, () => {
      if (c.error) {
        expect(() => topologyToStorage(c.topology))
          .to.throw(DecodeError)
          .with.property('message')
          .that.matches(c.error);
      } else {
        expect(topologyToStorage(c.topology)).to.deep.equal(c.expected);
      }
    });
  }

  it('does not depend on the slot', () => {
    const base = { realm: 'r', network: 'n', gateway: 'g', node: 'x' };
    expect(topologyToStorage({ ...base, slot: 'event.json' })).to.deep.equal(
      topologyToStorage({ ...base, slot: 'data/temperature' }),
    );
  });
});

describe('measurementOf', () => {
  it('data → the readings measurement, event → the events measurement', () => {
    for (const c of storageCases) {
      if (c.expected === undefined) continue;
      expect(measurementOf(c.expected, 'data'), c.name).to.equal(c.expected.measurement);
      expect(measurementOf(c.expected, 'event'), c.name).to.equal(c.expected.eventsMeasurement);
    }
  });
});

describe('databaseToStorage', () => {
  /** The nodes sharing a topology's database: its network (WAN) or the node itself (LAN). */
  const scopeOf = (t: Topology): DatabaseTopology =>
    t.network !== undefined ? { realm: t.realm, network: t.network } : { realm: t.realm, node: t.node };

  it("names the database of every node's topology as topologyToStorage does", () => {
    for (const c of storageCases) {
      if (c.expected === undefined) continue;
      expect(databaseToStorage(scopeOf(c.topology)).database, c.name).to.equal(c.expected.database);
    }
  });

  it('finds each node of a database by its measurement, per kind', () => {
    for (const c of storageCases) {
      if (c.expected === undefined) continue;
      const { nodeOf } = databaseToStorage(scopeOf(c.topology));
      const node = c.topology.network === undefined ? c.topology.node : c.expected.measurement.slice(0, -8);
      expect(nodeOf(c.expected.measurement, 'data'), c.name).to.equal(node);
      expect(nodeOf(c.expected.eventsMeasurement, 'event'), c.name).to.equal(node);
      expect(nodeOf(c.expected.eventsMeasurement, 'data'), c.name).to.equal(undefined);
      expect(nodeOf(c.expected.measurement, 'event'), c.name).to.equal(undefined);
    }
  });

  it('WAN: `<gateway>_<node>` of each `…_sensors`; anything else is no node', () => {
    const { database, nodeOf } = databaseToStorage({ realm: 'mqttkit-1', network: 'TestDrive' });
    expect(database).to.equal('mqttkit_1_testdrive');
    expect(nodeOf('area_42_sensors', 'data')).to.equal('area_42');
    expect(nodeOf('area_42_events', 'event')).to.equal('area_42');
    expect(nodeOf('sensors', 'data')).to.equal(undefined);
    expect(nodeOf('area_42_sensors_old', 'data')).to.equal(undefined);
  });

  it('LAN: only `sensors` / `events`, and the node is the one named', () => {
    const { database, nodeOf } = databaseToStorage({ realm: 'workbench', node: 'Node-1' });
    expect(database).to.equal('workbench_node_1');
    expect(nodeOf('sensors', 'data')).to.equal('Node-1');
    expect(nodeOf('events', 'event')).to.equal('Node-1');
    expect(nodeOf('x_sensors', 'data')).to.equal(undefined);
  });

  it('refuses what topologyToStorage refuses', () => {
    expect(() => databaseToStorage({ realm: 'r', network: '' })).to.throw(DecodeError, 'empty network');
    expect(() => databaseToStorage({ realm: 'r', node: 'a\nb' })).to.throw(DecodeError, 'control characters');
    expect(() => databaseToStorage({ realm: '', network: 'n' })).to.throw(DecodeError, 'empty realm');
    expect(() => databaseToStorage({ realm: 'r', network: 'a"b' })).to.throw(
      DecodeError,
      `may not contain '"'`,
    );
    expect(() => databaseToStorage({ realm: 'r', network: 'x'.repeat(300) })).to.throw(
      DecodeError,
      '255 bytes',
    );
  });
});

describe('time bounds', () => {
  it("are InfluxDB 1.x's: MinInt64 + 2 and MaxInt64 - 1 nanoseconds", () => {
    expect(EARLIEST_TIME).to.equal(-9223372036854775806n);
    expect(LATEST_TIME).to.equal(9223372036854775806n);
  });

  it('bound the readings sanitize takes', () => {
    expect(parseTimestamp(EARLIEST_TIME.toString(), 'UTC')).to.equal(EARLIEST_TIME);
    expect(parseTimestamp(LATEST_TIME.toString(), 'UTC')).to.equal(LATEST_TIME);
    expect(() => parseTimestamp((EARLIEST_TIME - 1n).toString(), 'UTC')).to.throw(
      DecodeError,
      'out of range',
    );
    expect(() => parseTimestamp((LATEST_TIME + 1n).toString(), 'UTC')).to.throw(DecodeError, 'out of range');
  });

  it('bound the InfluxQL time range', () => {
    const statement = selectStatement({
      measurement: 'm',
      columns: [{ name: 'f', kind: 'field' }],
      from: EARLIEST_TIME - 5n,
      to: LATEST_TIME + 5n,
      order: 'asc',
    });
    expect(statement).to.include(`time >= ${EARLIEST_TIME} AND time <= ${LATEST_TIME}`);
  });
});

describe('naming templates (apps with a topic template)', () => {
  const names = ['realm', 'node', 'field', 'project', 'serial'];
  function naming(database?: string, measurement?: string) {
    const compile = (text: string) => {
      const result = parseNameTemplate(text, names);
      if ('problem' in result) throw new Error(result.problem);
      return result.template;
    };
    return {
      database: database === undefined ? undefined : compile(database),
      measurement: measurement === undefined ? undefined : compile(measurement),
    };
  }
  const mysense: Topology = {
    realm: 'mysense',
    node: 'B4E62D-1',
    slot: '',
    field: 'B4E62D-1',
    tags: { project: 'Luchtmeetnet.NL', serial: 'B4E62D-1' },
  };

  it('fills the database and the measurement, sanitized as Kotori sanitizes names', () => {
    expect(topologyToStorage(mysense, naming('{project}_{serial}', 'data'))).to.deep.equal({
      database: 'luchtmeetnet_nl_b4e62d_1',
      measurement: 'data',
      eventsMeasurement: 'data_events',
    });
  });

  it('keeps the default for a name without a template', () => {
    expect(topologyToStorage(mysense, naming('{project}'))).to.deep.equal({
      database: 'luchtmeetnet_nl',
      measurement: 'sensors',
      eventsMeasurement: 'events',
    });
    expect(topologyToStorage(mysense, naming(undefined, '{field}'))).to.deep.equal({
      database: 'mysense_b4e62d_1',
      measurement: 'b4e62d_1',
      eventsMeasurement: 'b4e62d_1_events',
    });
    expect(topologyToStorage(mysense, {})).to.deep.equal(topologyToStorage(mysense));
  });

  it('refuses a filled name the store cannot take', () => {
    const quoted = { ...mysense, tags: { project: 'a"b', serial: 's' } };
    expect(() => topologyToStorage(quoted, naming('{project}'))).to.throw(DecodeError, `may not contain '"'`);
    const control = { ...mysense, tags: { project: 'a\u0001b', serial: 's' } };
    expect(() => topologyToStorage(control, naming('{project}'))).to.throw(DecodeError, 'control characters');
  });

  it('compiles only known placeholders and closed braces', () => {
    expect(parseNameTemplate('{project}_{serial}', names)).to.have.nested.property('template.text');
    expect(parseNameTemplate('{projet}', names))
      .to.have.property('problem')
      .that.matches(/unknown placeholder '\{projet\}'/);
    expect(parseNameTemplate('{project', names))
      .to.have.property('problem')
      .that.matches(/unmatched '\{'/);
    expect(parseNameTemplate('a}b', names))
      .to.have.property('problem')
      .that.matches(/unmatched '\}'/);
    expect(parseNameTemplate(' ', names)).to.have.property('problem', 'empty name');
  });
});
