import { DecodeError } from '../../../core/errors.js';
import type { DatabaseTopology, Topology } from '../topology.js';
import type { Strategy, StrategyApp } from './strategy.js';

/** What `mqttkitTopology` needs to know about the realm. */
export interface MqttkitOptions {
  /** The realm every topic must start with, e.g. `mqttkit-1`. */
  realm: string;
  /** Networks the `channel/<net>-<gw>-<node>` form may address; undefined = any. */
  allowedNetworks?: readonly string[] | undefined;
}

/** Node id of the per-device form: `realm/device/<id>/<slot>` → `devices/default/<id>`. */
const DEVICE_NETWORK = 'devices';
/** Kotori fills missing leading parts of a channel id with this name. */
const DEFAULT_PART = 'default';

/**
 * Decode a topic of the MQTTKit (WAN) strategy, Kotori's »quadruple hierarchy«, into a topology.
 * Pure; throws `DecodeError` only.
 *
 * - `realm/network/gateway/node/slot…` — the slot is the rest and may contain `/`.
 * - `realm/device/<id>/slot…` → network `devices`, gateway `default`, node `<id>`.
 * - `realm/channel/<network>-<gateway>-<node>/slot…` → the dashed id is split as Kotori does
 *   (see `splitChannelId`); `allowedNetworks` restricts which networks this form may address.
 *
 * The device and channel forms take precedence over the path form, as in Kotori: a network
 * literally named `device` or `channel` cannot be addressed with the path form.
 */
export function mqttkitTopology(topic: string, options: MqttkitOptions): Topology {
  return partsToTopology(topicBelowRealm(topic, options.realm).split('/'), topic, options);
}

/**
 * The topology of the parts of a topic below the realm (the last ones the slot); `topic` is what
 * error messages name.
 */
function partsToTopology(parts: readonly string[], topic: string, options: MqttkitOptions): Topology {
  const { realm } = options;

  if (parts[0] === 'device') {
    if (parts.length < 3) {
      throw new DecodeError(`topic '${topic}': expected '${realm}/device/<id>/<slot>'`);
    }
    const node = requirePart(topic, 'device id', parts[1]);
    const slot = requireSlot(topic, parts.slice(2).join('/'));
    return { realm, network: DEVICE_NETWORK, gateway: DEFAULT_PART, node, slot };
  }

  if (parts[0] === 'channel') {
    if (parts.length < 3) {
      throw new DecodeError(
        `topic '${topic}': expected '${realm}/channel/<network>-<gateway>-<node>/<slot>'`,
      );
    }
    const id = requirePart(topic, 'channel id', parts[1]);
    const [network, gateway, node] = splitChannelId(id, realm);
    for (const [name, value] of [
      ['network', network],
      ['gateway', gateway],
      ['node', node],
    ] as const) {
      if (value === '') throw new DecodeError(`topic '${topic}': channel id '${id}' has an empty ${name}`);
    }
    const allowed = options.allowedNetworks;
    if (allowed !== undefined && !allowed.includes(network)) {
      throw new DecodeError(`topic '${topic}': network '${network}' may not use the channel address form`);
    }
    const slot = requireSlot(topic, parts.slice(2).join('/'));
    return { realm, network, gateway, node, slot };
  }

  if (parts.length < 4) {
    throw new DecodeError(`topic '${topic}': expected '${realm}/<network>/<gateway>/<node>/<slot>'`);
  }
  const network = requirePart(topic, 'network', parts[0]);
  const gateway = requirePart(topic, 'gateway', parts[1]);
  const node = requirePart(topic, 'node', parts[2]);
  const slot = requireSlot(topic, parts.slice(3).join('/'));
  return { realm, network, gateway, node, slot };
}

/**
 * The MQTTKit (WAN) strategy: `realm/network/gateway/node/slot…` and its device and channel forms (see
 * `mqttkitTopology`); HTTP paths `/api/<realm>/<network>/<gateway>/<node>/…` (and the device and
 * channel forms) name the same nodes; the databases are the networks.
 */
export const mqttkitStrategy: Strategy = {
  name: 'mqttkit',
  entryPoints: ['kotori.daq.application.mqttkit:mqttkit_application'],
  vendors: ['hiveeyes'],
  addressShape: '<network>/<gateway>/<node>',
  topicToTopology: (topic: string, app: StrategyApp): Topology => mqttkitTopology(topic, optionsOf(app)),
  pathToTopology(address: readonly string[], slot: string, app: StrategyApp): Topology {
    const where = `${app.realm}/${address.join('/')}/${slot}`;
    const topology = partsToTopology([...address, slot], where, optionsOf(app));
    if (topology.slot !== slot) {
      throw new DecodeError(`address '${address.join('/')}' is not one node's address`);
    }
    return topology;
  },
  databaseTopology: (realm: string, segment: string): DatabaseTopology => ({ realm, network: segment }),
};

function optionsOf(app: StrategyApp): MqttkitOptions {
  return { realm: app.realm, allowedNetworks: app.direct_channel_allowed_networks };
}

/**
 * Split a dashed channel id `<network>-<gateway>-<node>` the way Kotori does:
 * fewer than three parts are padded with `default` at the front; a first part equal to the realm
 * is dropped; more than three parts keep the first two and join the rest into the node.
 *
 * Kotori splits the realm itself at its dashes, so a dashed realm (`mqttkit-1`) used as prefix
 * (`mqttkit-1-acme-area42-node`) ends up as network `mqttkit` and can make it crash. Here a leading
 * `<realm>-` counts as one part, which for an undashed realm is exactly Kotori's split.
 */
function splitChannelId(id: string, realm: string): [string, string, string] {
  let parts: string[];
  if (id === realm) parts = [realm];
  else if (id.startsWith(`${realm}-`)) parts = [realm, ...id.slice(realm.length + 1).split('-')];
  else parts = id.split('-');

  parts = padFront(parts);
  if (parts[0] === realm) {
    // Kotori drops the realm after padding; with exactly three parts it then has two and crashes
    // when it destructures them. Padding again gives `default` for the missing network instead.
    parts = padFront(parts.slice(1));
  }
  if (parts.length > 3) parts = [parts[0]!, parts[1]!, parts.slice(2).join('-')];
  return [parts[0]!, parts[1]!, parts[2]!];
}

function padFront(parts: string[]): string[] {
  const missing = 3 - parts.length;
  return missing > 0 ? [...Array<string>(missing).fill(DEFAULT_PART), ...parts] : parts;
}

/** The part of `topic` after `<realm>/`, or a DecodeError when the topic is not under the realm. */
function topicBelowRealm(topic: string, realm: string): string {
  const prefix = `${realm}/`;
  if (!topic.startsWith(prefix)) {
    throw new DecodeError(`topic '${topic}' is not under realm '${realm}'`);
  }
  return topic.slice(prefix.length);
}

function requirePart(topic: string, name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new DecodeError(`topic '${topic}': empty ${name}`);
  return value;
}

function requireSlot(topic: string, slot: string): string {
  if (slot === '') throw new DecodeError(`topic '${topic}': no slot (e.g. 'data.json') after the node`);
  return slot;
}
