import { BareSubscriber, brokerCeiling } from '../broker-baseline.js';
import { DaqdProcess, REALM } from '../daqd.js';
import { influxBaseline } from '../influx-baseline.js';
import { MosquittoSubscriber } from '../mosquitto-sub.js';
import { connectPublisher } from '../mqtt-wire.js';
import { ProcessMeter } from '../proc.js';
import { address, LAYOUTS, type Layout, type MqttScenario, readingJson } from '../readings.js';
import { FigureSet, type ScenarioResult } from '../result.js';
import type { InfluxService, MosquittoService } from '../services.js';
import { percentile, sleep, until } from '../stats.js';
import { WriteProxy } from '../write-proxy.js';

/** What the MQTT scenarios run against. */
export interface MqttBenchContext {
  quick: boolean;
  runs: number;
  mosquitto: MosquittoService;
  influx: InfluxService;
  log: (line: string) => void;
}

/** QoS 1 messages the publisher keeps unacknowledged by the broker. */
export const PUBLISH_WINDOW = 2000;

/** Topic of reading `i` of a layout in daqd's realm. */
export function topicOf(layout: Layout, prefix: string, i: number): string {
  const { network, node } = address(layout, prefix, i);
  return `${REALM}/${network}/gw/${node}/data.json`;
}

/** The databases a layout's readings go to. */
export function databases(layout: Layout, prefix: string): string[] {
  return Array.from({ length: layout.networks }, (_, k) => `${REALM}_${prefix}x${k}`);
}

/** Readings of a layout stored in InfluxDB, over all its databases. */
export async function stored(ctx: MqttBenchContext, layout: Layout, prefix: string): Promise<number> {
  const counts = await Promise.all(databases(layout, prefix).map((db) => ctx.influx.client.count(db, 'seq')));
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Scenario 1 (1a–1e): throughput end to end (published → queryable in InfluxDB) against both
 * baselines in the same run, then latency publish → stored at a fixed moderate rate.
 */
export async function mqttToInflux(ctx: MqttBenchContext, which: MqttScenario): Promise<ScenarioResult> {
  const layout = LAYOUTS[which];
  const count = ctx.quick ? 20_000 : 200_000;
  const figures = new FigureSet();
  const notes: string[] = [];
  const daqd = new DaqdProcess(
    { mode: 'influxdb', mqttPort: ctx.mosquitto.port, influxUrl: ctx.influx.url },
    layout.daqd,
  );
  const subscriber = new BareSubscriber();
  const mosquittoSub = new MosquittoSubscriber();
  const publisher = await connectPublisher(ctx.mosquitto.port, which);
  const taken: string[] = [];
  try {
    await daqd.start();
    await subscriber.start(ctx.mosquitto.port, 'bare/#');
    await mosquittoSub.start(ctx.mosquitto.port, 'msub/#');
    let received = 0;
    for (let run = 0; run < ctx.runs; run++) {
      const prefix = `t${which}r${run}${Date.now() % 100000}`;
      const influxRate = await influxBaseline(ctx.influx.client, layout, `${prefix}b`, count, {
        batchSize: 5000,
        concurrency: 2,
      });
      const broker = await brokerCeiling(
        publisher,
        { bare: subscriber, mosquittoSub },
        received,
        layout,
        count,
        PUBLISH_WINDOW,
        run,
      );
      received = broker.total;
      taken.push(broker.taken);

      const writesBefore = await daqd.storeWrites();
      const meter = new ProcessMeter(daqd.pid);
      const started = performance.now();
      await publisher.publishMany({
        count,
        window: PUBLISH_WINDOW,
        topic: (i) => topicOf(layout, prefix, i),
        payload: readingJson,
      });
      const ended = await until(
        `${count} readings stored`,
        async () => (await stored(ctx, layout, prefix)) >= count,
        120_000,
        layout.networks > 1 ? 50 : 25,
      );
      const cpu = meter.cpu();
      const peak = meter.peak();
      const rate = count / ((ended - started) / 1000);
      const writes = (await daqd.storeWrites()) - writesBefore;
      // Redelivered readings would get a new receive time and show up as extra points.
      await sleep(300);
      const final = await stored(ctx, layout, prefix);
      for (const db of databases(layout, prefix)) await ctx.influx.client.query(`DROP DATABASE "${db}"`);

      figures.add('daqd end to end', 'readings/s', rate);
      figures.add('baseline InfluxDB /write (5,000/batch)', 'points/s', influxRate);
      figures.add('baseline broker → bare subscriber', 'msgs/s', broker.bare);
      figures.add('baseline broker → mosquitto_sub', 'msgs/s', broker.mosquittoSub);
      figures.add('broker ceiling (the faster subscriber)', 'msgs/s', broker.ceiling);
      figures.add('bare subscriber CPU per 1,000 messages', 'ms', (broker.bareCpu / count) * 1000);
      figures.add('ratio to InfluxDB baseline', '%', (100 * rate) / influxRate);
      figures.add('ratio to broker ceiling', '%', (100 * rate) / broker.ceiling);
      figures.add('ratio to slower baseline', '%', (100 * rate) / Math.min(influxRate, broker.ceiling));
      figures.add('lost or duplicated readings', 'readings', Math.abs(final - count));
      figures.add('daqd CPU per 1,000 readings', 'ms', (cpu / count) * 1000);
      figures.add('daqd peak RSS', 'MB', peak);
      figures.add('daqd writes to InfluxDB per 1,000 readings', 'writes', (writes / count) * 1000);
      ctx.log(
        `  ${which} run ${run + 1}: daqd ${fmt(rate)}/s, influx ${fmt(influxRate)}/s, broker: bare ${fmt(broker.bare)}/s, ` +
          `mosquitto_sub ${fmt(broker.mosquittoSub)}/s, ` +
          `stored ${final}/${count}, cpu ${((cpu / count) * 1000).toFixed(1)} ms/1k, ${writes} writes, ` +
          `rss ${peak.toFixed(0)} MB`,
      );
    }
  } finally {
    await publisher.end();
    await subscriber.stop();
    await mosquittoSub.stop();
    await daqd.stop();
  }
  notes.push(`broker ceiling taken from, per run: ${taken.join(' / ')}`);
  await latency(ctx, which, figures, notes);
  return { id: which, title: `MQTT → InfluxDB, QoS 1, ${layout.title}`, figures: figures.list(), notes };
}

/** Latency publish → stored (InfluxDB answered the /write holding it), at a fixed rate, through a proxy. */
async function latency(
  ctx: MqttBenchContext,
  which: MqttScenario,
  figures: FigureSet,
  notes: string[],
): Promise<void> {
  const layout = LAYOUTS[which];
  const rate = LATENCY_RATE;
  const seconds = ctx.quick ? 1 : 6;
  const count = rate * seconds;
  const sentAt = new Float64Array(count);
  const storedAt = new Float64Array(count);
  const proxy = new WriteProxy({ host: '127.0.0.1', port: ctx.influx.port }, (body, at) => {
    for (let from = body.indexOf('seq='); from !== -1; from = body.indexOf('seq=', from + 4)) {
      let seq = 0;
      for (let i = from + 4; ; i++) {
        const d = body.charCodeAt(i) - 48;
        if (!(d >= 0 && d <= 9)) break;
        seq = seq * 10 + d;
      }
      if (seq < count) storedAt[seq] = at;
    }
  });
  await proxy.start();
  const daqd = new DaqdProcess(
    { mode: 'influxdb', mqttPort: ctx.mosquitto.port, influxUrl: proxy.url },
    layout.daqd,
  );
  const publisher = await connectPublisher(ctx.mosquitto.port, `${which}-latency`);
  try {
    await daqd.start();
    for (let run = 0; run < ctx.runs; run++) {
      const prefix = `l${which}r${run}${Date.now() % 100000}`;
      storedAt.fill(0);
      await publisher.publishMany({
        count,
        window: PUBLISH_WINDOW,
        rate,
        topic: (i) => topicOf(layout, prefix, i),
        payload: readingJson,
        onSent: (i, at) => {
          sentAt[i] = at;
        },
      });
      await until('every latency reading stored', async () => storedAt.every((t) => t > 0), 30_000, 20);
      const latencies = sentAt.map((t, i) => storedAt[i]! - t);
      figures.add(`latency p50 at ${rate.toLocaleString('en')}/s`, 'ms', percentile(latencies, 50));
      figures.add(`latency p99 at ${rate.toLocaleString('en')}/s`, 'ms', percentile(latencies, 99));
      for (const db of databases(layout, prefix)) await ctx.influx.client.query(`DROP DATABASE "${db}"`);
    }
  } finally {
    await publisher.end();
    await daqd.stop();
    await proxy.stop();
  }
  notes.push(
    `latency: ${rate.toLocaleString('en')} readings/s for ${seconds} s per run, publish → InfluxDB answered the /write that held the reading (through a pass-through proxy)`,
  );
}

/** The fixed moderate rate of the latency runs, readings per second. */
export const LATENCY_RATE = 5000;

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en');
}
