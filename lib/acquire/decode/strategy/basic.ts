import { DecodeError } from '../../../core/errors.js';
import type { DatabaseTopology, Topology } from '../topology.js';
import type { Strategy, StrategyApp } from './strategy.js';

/** What `basicTopology` needs to know about the realm. */
export interface BasicOptions {
  /** The realm every topic must start with. */
  realm: string;
}

/**
 * Decode a topic of the basic (LAN) strategy, `realm/node/slot…`, into a topology without network
 * and gateway. The slot is the rest after the node and may contain `/`. Kotori's pattern makes the
 * slot optional, but a slot-less message cannot be classified, so it is a DecodeError here, as in
 * the MQTTKit strategy. Pure; throws `DecodeError` only.
 */
export function basicTopology(topic: string, options: BasicOptions): Topology {
  const { realm } = options;
  const prefix = `${realm}/`;
  if (!topic.startsWith(prefix)) {
    throw new DecodeError(`topic '${topic}' is not under realm '${realm}'`);
  }
  return partsToTopology(topic.slice(prefix.length).split('/'), topic, realm);
}

/**
 * The basic (LAN) strategy: `realm/node/slot…` (see `basicTopology`); HTTP paths `/api/<realm>/<node>/…`;
 * each node has a database of its own.
 */
export const basicStrategy: Strategy = {
  name: 'basic',
  entryPoints: ['kotori.daq.application.basic:application', 'kotori.daq.application.basic:basic_application'],
  vendors: [],
  addressShape: '<node>',
  topicToTopology: (topic: string, app: StrategyApp): Topology => basicTopology(topic, { realm: app.realm }),
  pathToTopology(address: readonly string[], slot: string, app: StrategyApp): Topology {
    const where = `${app.realm}/${address.join('/')}/${slot}`;
    const topology = partsToTopology([...address, slot], where, app.realm);
    if (topology.slot !== slot) {
      throw new DecodeError(`address '${address.join('/')}' is not one node's address`);
    }
    return topology;
  },
  databaseTopology: (realm: string, segment: string): DatabaseTopology => ({ realm, node: segment }),
};

/** The topology of the parts of a topic below the realm; `topic` is what error messages name. */
function partsToTopology(parts: readonly string[], topic: string, realm: string): Topology {
  const node = parts[0];
  if (node === undefined || node === '') throw new DecodeError(`topic '${topic}': empty node`);
  const slot = parts.slice(1).join('/');
  if (slot === '') throw new DecodeError(`topic '${topic}': no slot (e.g. 'data.json') after the node`);
  return { realm, node, slot };
}
