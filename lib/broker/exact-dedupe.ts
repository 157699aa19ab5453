/** What of a message aedes hands to a client's delivery function that the filter looks at. */
interface DeliveredPacket {
  /** The broker that numbered the message; null or absent: aedes does not filter it. */
  brokerId?: string | null;
  /** The broker's running number of the message. */
  brokerCounter?: number;
}

type Deliver = (packet: DeliveredPacket, done: () => void) => void;

/** aedes' per-client delivery functions: instance properties of its Client, not in its types. */
interface DeliveringClient {
  deliverQoS?: Deliver;
  deliver0?: Deliver;
}

/** Messages remembered per client; overlapping subscriptions deliver one message within one emit. */
const REMEMBERED = 1024;

/**
 * Replaces aedes' duplicate filter for one client with an exact one. Call it before the client
 * subscribes (aedes' `preConnect` hook); returns false when this aedes has no such delivery functions.
 *
 * aedes (1.x, `dedupe` in lib/client.js) remembers per client only the highest broker counter it
 * delivered, and drops every message with a lower one. Its publish pipeline finishes out of order,
 * though: a QoS 1 message waits for the session store and a QoS 0 one does not, and the packets of
 * one socket read run concurrently. A QoS 1 message overtaken that way is not delivered; with a
 * persistent session it waits in the store until the subscriber connects again, possibly days later.
 * This filter drops only what aedes' filter is there for: the same message arriving a second time
 * through another matching subscription of the same client.
 */
export function installExactDedupe(client: object, brokerId: string): boolean {
  const target = client as DeliveringClient;
  const { deliverQoS, deliver0 } = target;
  if (typeof deliverQoS !== 'function' || typeof deliver0 !== 'function') return false;
  const delivered = new Set<number>();
  const filtered =
    (deliver: Deliver): Deliver =>
    (packet, done) => {
      const counter = packet.brokerCounter;
      // Messages of this broker only: another id is a will or retained message aedes handles itself.
      if (packet.brokerId !== brokerId || counter === undefined) return deliver(packet, done);
      if (delivered.has(counter)) {
        setImmediate(done);
        return;
      }
      delivered.add(counter);
      if (delivered.size > REMEMBERED) delivered.delete(delivered.values().next().value as number);
      // Without a broker id aedes skips its own filter; the packet it sends and stores gets this
      // broker's id back (aedes-packet: `original.brokerId || broker.id`), so the session store's
      // key stays the same.
      deliver({ ...packet, brokerId: null }, done);
    };
  target.deliverQoS = filtered(deliverQoS);
  target.deliver0 = filtered(deliver0);
  return true;
}
