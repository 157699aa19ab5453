import { DecodeError } from '../../core/errors.js';
import type { Topology } from './topology.js';

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
  const parts = topic.slice(prefix.length).split('/');
  const node = parts[0];
  if (node === undefined || node === '') throw new DecodeError(`topic '${topic}': empty node`);
  const slot = parts.slice(1).join('/');
  if (slot === '') throw new DecodeError(`topic '${topic}': no slot (e.g. 'data.json') after the node`);
  return { realm, node, slot };
}
