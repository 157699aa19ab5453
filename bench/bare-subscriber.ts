import { WireClient } from './mqtt-wire.js';

/**
 * The broker baseline's subscriber, run as a child process (as daqd is): subscribes at QoS 1,
 * acknowledges every message and does nothing else. Arguments: port, filter, client id.
 * IPC: the parent sends `{ expect: n }`; the child answers `{ reached: count }` once `n` messages
 * arrived in all, and `{ ready: true }` once subscribed.
 */
async function main(): Promise<void> {
  const [port, filter, clientId] = process.argv.slice(2);
  if (port === undefined || filter === undefined)
    throw new Error('usage: bare-subscriber PORT FILTER [CLIENT_ID]');
  const client = await WireClient.connect({
    port: Number(port),
    clientId: clientId ?? `bench-bare-${process.pid}`,
  });
  await client.subscribe(filter);
  let target = Number.POSITIVE_INFINITY;
  client.onMessage = (received) => {
    if (received >= target) {
      target = Number.POSITIVE_INFINITY;
      process.send?.({ reached: received });
    }
  };
  process.on('message', (message: { expect?: number; stop?: boolean }) => {
    if (message.stop) {
      void client.end().then(() => process.disconnect());
      return;
    }
    if (message.expect !== undefined) {
      target = message.expect;
      if (client.received >= target) {
        target = Number.POSITIVE_INFINITY;
        process.send?.({ reached: client.received });
      }
    }
  });
  process.send?.({ ready: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`bare-subscriber: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
