import { expect } from 'chai';
import { basicStrategy } from '../../../../lib/acquire/decode/strategy/basic.js';
import { mqttkitStrategy } from '../../../../lib/acquire/decode/strategy/mqttkit.js';
import {
  STRATEGIES,
  strategyEntryPoints,
  strategyForEntryPoint,
  strategyForVendor,
  strategyNamed,
  strategyVendors,
} from '../../../../lib/acquire/decode/strategy/registry.js';
import { templateStrategy } from '../../../../lib/acquire/decode/strategy/template.js';
import { DecodeError } from '../../../../lib/core/errors.js';

describe('strategy registry', () => {
  it('lists mqttkit, basic and template, in that order', () => {
    expect(STRATEGIES.map((s) => s.name)).to.deep.equal(['mqttkit', 'basic', 'template']);
  });

  it('leaves the template strategy to topic_template: it is no entry point', () => {
    expect(strategyForEntryPoint('template')).to.equal(undefined);
    expect(strategyEntryPoints()).to.not.include('template');
  });

  it("resolves our short names and Kotori's entry points", () => {
    const cases: [string, string][] = [
      ['mqttkit', 'mqttkit'],
      ['basic', 'basic'],
      ['kotori.daq.application.mqttkit:mqttkit_application', 'mqttkit'],
      ['kotori.daq.application.basic:application', 'basic'],
      ['kotori.daq.application.basic:basic_application', 'basic'],
    ];
    for (const [entryPoint, name] of cases) {
      expect(strategyForEntryPoint(entryPoint)?.name, entryPoint).to.equal(name);
    }
    expect(strategyEntryPoints()).to.deep.equal(cases.map(([entryPoint]) => entryPoint));
  });

  it('knows no other entry point', () => {
    for (const entryPoint of ['', 'MQTTKIT', 'kotori.daq.application.mqttkit', 'toString', 'constructor']) {
      expect(strategyForEntryPoint(entryPoint), entryPoint).to.equal(undefined);
    }
  });

  it("resolves Kotori's vendor apps", () => {
    expect(strategyForVendor('hiveeyes')).to.equal(mqttkitStrategy);
    expect(strategyForVendor('luftdaten')).to.equal(undefined);
    expect(strategyVendors()).to.deep.equal(['hiveeyes']);
  });

  it('finds a strategy by name, and refuses a name it does not know', () => {
    expect(strategyNamed('mqttkit')).to.equal(mqttkitStrategy);
    expect(strategyNamed('basic')).to.equal(basicStrategy);
    expect(() => strategyNamed('templates')).to.throw(Error, "no strategy named 'templates'");
  });

  it('no name, entry point or vendor belongs to two strategies', () => {
    const all = [...strategyEntryPoints(), ...strategyVendors()];
    expect(new Set(all).size).to.equal(all.length);
  });
});

/** The segments an address shape stands for: `<network>/<gateway>/<node>` → `network-1`, …. */
function sampleAddress(shape: string): string[] {
  return shape.split('/').map((part) => `${part.replace(/[<>]/g, '')}-1`);
}

describe('every strategy with HTTP addressing', () => {
  // The template strategy maps topics only; template.test.ts shows it refuses paths.
  for (const strategy of STRATEGIES.filter((s) => s !== templateStrategy)) {
    describe(strategy.name, () => {
      const app = { realm: 'realm-a' };

      it('maps a path of its address shape to the topology of the same topic', () => {
        const address = sampleAddress(strategy.addressShape);
        for (const slot of ['data.json', 'event.json']) {
          const topology = strategy.pathToTopology(address, slot, app);
          expect(topology).to.deep.equal(
            strategy.topicToTopology(`realm-a/${address.join('/')}/${slot}`, app),
          );
          expect(topology.slot).to.equal(slot);
          expect(topology.node).to.equal(address[address.length - 1]);
        }
      });

      it('refuses a path with a segment too many or too few', () => {
        const address = sampleAddress(strategy.addressShape);
        expect(() => strategy.pathToTopology([...address, 'extra'], 'data.json', app)).to.throw(DecodeError);
        expect(() => strategy.pathToTopology([], 'data.json', app)).to.throw(DecodeError);
      });

      it('refuses a path with an empty segment', () => {
        const address = sampleAddress(strategy.addressShape);
        address[0] = '';
        expect(() => strategy.pathToTopology(address, 'data.json', app)).to.throw(DecodeError);
      });

      it('names the database of a latest segment with the realm', () => {
        const scope = strategy.databaseTopology('realm-a', 'seg');
        expect(scope.realm).to.equal('realm-a');
        expect(scope.network ?? scope.node).to.equal('seg');
      });
    });
  }

  it('mqttkit: the device and channel forms are paths too; a network the channel form may not use is refused', () => {
    const app = { realm: 'r', direct_channel_allowed_networks: ['n'] };
    expect(mqttkitStrategy.pathToTopology(['device', 'd1'], 'data.json', app)).to.deep.equal({
      realm: 'r',
      network: 'devices',
      gateway: 'default',
      node: 'd1',
      slot: 'data.json',
    });
    expect(mqttkitStrategy.pathToTopology(['channel', 'n-g-x'], 'event.json', app)).to.deep.equal({
      realm: 'r',
      network: 'n',
      gateway: 'g',
      node: 'x',
      slot: 'event.json',
    });
    expect(() => mqttkitStrategy.pathToTopology(['channel', 'm-g-x'], 'data.json', app)).to.throw(
      DecodeError,
      "network 'm' may not use the channel address form",
    );
    expect(() => mqttkitStrategy.pathToTopology(['device', 'd1', 'x'], 'data.json', app)).to.throw(
      DecodeError,
    );
  });

  it('WAN latest names a network, LAN latest a node', () => {
    expect(mqttkitStrategy.databaseTopology('r', 'n')).to.deep.equal({ realm: 'r', network: 'n' });
    expect(basicStrategy.databaseTopology('r', 'n')).to.deep.equal({ realm: 'r', node: 'n' });
  });
});
