import type { InfluxClient } from './influx-client.js';
import { address, type Layout, readingFields } from './readings.js';

/**
 * Baseline (i): the same points as line protocol, written straight to InfluxDB's /write in batches of
 * `batchSize`, `concurrency` requests at a time. The bodies are made before the clock starts.
 * Returns points per second.
 */
export async function influxBaseline(
  influx: InfluxClient,
  layout: Layout,
  prefix: string,
  count: number,
  options: { batchSize: number; concurrency: number },
): Promise<number> {
  const perDatabase = new Map<string, string[]>();
  const t0 = BigInt(Date.now()) * 1_000_000n;
  for (let i = 0; i < count; i++) {
    const { network, node } = address(layout, prefix, i);
    const database = `bench_${network}`;
    let lines = perDatabase.get(database);
    if (lines === undefined) {
      lines = [];
      perDatabase.set(database, lines);
    }
    lines.push(`gw_${node.replace('-', '_')}_sensors ${readingFields(i)} ${t0 + BigInt(i) * 1000n}`);
  }
  const perDatabaseBodies: { database: string; body: Buffer }[][] = [];
  for (const [database, lines] of perDatabase) {
    await influx.query(`CREATE DATABASE "${database}"`);
    const list: { database: string; body: Buffer }[] = [];
    for (let at = 0; at < lines.length; at += options.batchSize) {
      list.push({ database, body: Buffer.from(lines.slice(at, at + options.batchSize).join('\n')) });
    }
    perDatabaseBodies.push(list);
  }
  // Databases in turn, one batch of each, as daqd's batcher writes them.
  const bodies: { database: string; body: Buffer }[] = [];
  for (let k = 0; bodies.length < perDatabaseBodies.reduce((n, l) => n + l.length, 0); k++) {
    for (const list of perDatabaseBodies) if (k < list.length) bodies.push(list[k]!);
  }
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < bodies.length) {
      const item = bodies[next++]!;
      await influx.write(item.database, item.body, 'n');
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  for (const database of perDatabase.keys()) await influx.query(`DROP DATABASE "${database}"`);
  return count / seconds;
}
