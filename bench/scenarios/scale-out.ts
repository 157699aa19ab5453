import { DaqdProcess } from '../daqd.js';
import { connectPublisher, type WireClient } from '../mqtt-wire.js';
import { cpuMs, ProcessMeter } from '../proc.js';
import { LAYOUTS, type Layout, readingJson } from '../readings.js';
import { FigureSet, type ScenarioResult } from '../result.js';
import { sleep, until } from '../stats.js';
import { databases, type MqttBenchContext, PUBLISH_WINDOW, stored, topicOf } from './mqtt-influx.js';

/** Instances in the group, per step. */
export const SCALE_OUT_STEPS = [1, 2, 3] as const;

/** The realm's `mqtt_shared_group` on every instance. */
const GROUP = 'daqd';

/** What one step (N instances, one batch of readings) measured. */
interface Step {
  rate: number;
  /** Readings in InfluxDB afterwards. */
  final: number;
  /** `daqd_readings_stored_total` gained by each instance during the step. */
  shares: number[];
  /** CPU milliseconds: all instances together, mosquitto, influxd. */
  daqdCpu: number;
  mosquittoCpu: number;
  influxCpu: number;
  /** Largest peak RSS of an instance, MB. */
  peak: number;
}

/** Starts or stops instances until `n` run; an instance keeps its slot's client id. */
async function resize(ctx: MqttBenchContext, instances: DaqdProcess[], n: number): Promise<void> {
  while (instances.length > n) {
    // stop() also discards its broker session: mosquitto would go on handing it a share.
    await instances.pop()?.stop();
  }
  while (instances.length < n) {
    const daqd = new DaqdProcess(
      { mode: 'influxdb', mqttPort: ctx.mosquitto.port, influxUrl: ctx.influx.url },
      { mqtt: { client_id: `daqd-bench-${process.pid}-${instances.length + 1}` } },
      { mqtt_shared_group: GROUP },
    );
    instances.push(daqd);
    await daqd.start();
  }
}

/** Publishes `count` readings of `layout` to the group and waits until InfluxDB holds them all. */
async function measure(
  ctx: MqttBenchContext,
  publisher: WireClient,
  instances: readonly DaqdProcess[],
  layout: Layout,
  count: number,
  prefix: string,
): Promise<Step> {
  const before = await Promise.all(instances.map((d) => d.storedReadings()));
  const meters = instances.map((d) => new ProcessMeter(d.pid));
  const mosquittoCpu = cpuMs(ctx.mosquitto.pid);
  const influxCpu = cpuMs(ctx.influx.pid);
  const started = performance.now();
  await publisher.publishMany({
    count,
    window: PUBLISH_WINDOW,
    topic: (i) => topicOf(layout, prefix, i),
    payload: readingJson,
  });
  const ended = await until(
    `${count} readings stored by ${instances.length} instances`,
    async () => (await stored(ctx, layout, prefix)) >= count,
    120_000,
    50,
  );
  const step: Step = {
    rate: count / ((ended - started) / 1000),
    final: 0,
    shares: [],
    daqdCpu: meters.reduce((sum, m) => sum + m.cpu(), 0),
    mosquittoCpu: cpuMs(ctx.mosquitto.pid) - mosquittoCpu,
    influxCpu: cpuMs(ctx.influx.pid) - influxCpu,
    peak: Math.max(...meters.map((m) => m.peak())),
  };
  // Redelivered readings would get a new receive time and show up as extra points; the instances'
  // counters are read after their last writes were answered.
  await sleep(300);
  step.final = await stored(ctx, layout, prefix);
  const after = await Promise.all(instances.map((d) => d.storedReadings()));
  step.shares = after.map((v, k) => v - before[k]!);
  for (const db of databases(layout, prefix)) await ctx.influx.client.query(`DROP DATABASE "${db}"`);
  return step;
}

/**
 * Scenario 7: 1, 2 and 3 daqd processes in one `mqtt_shared_group` on the benchmark's mosquitto,
 * writing into one influxd; the 1b load (1,000 node topics in 10 networks, QoS 1). Per N: combined
 * readings/s published → queryable, as a share of N = 1 in the same run, each instance's share
 * (its `daqd_readings_stored_total`), loss or duplicates (InfluxDB's count against the published),
 * and CPU per reading of the instances together, of mosquitto and of influxd.
 */
export async function scaleOutScenario(ctx: MqttBenchContext): Promise<ScenarioResult> {
  const layout = LAYOUTS['1b'];
  const count = ctx.quick ? 20_000 : 200_000;
  const figures = new FigureSet();
  const instances: DaqdProcess[] = [];
  const orders: string[] = [];
  const publisher = await connectPublisher(ctx.mosquitto.port, 'scale-out');
  try {
    for (let run = 0; run < ctx.runs; run++) {
      // Up in even runs, down in odd ones: a drift in the machine's load favours no N.
      const order = run % 2 === 0 ? [...SCALE_OUT_STEPS] : [...SCALE_OUT_STEPS].reverse();
      orders.push(order.join('→'));
      const rates = new Map<number, number>();
      for (const n of order) {
        await resize(ctx, instances, n);
        const prefix = `s${n}r${run}${Date.now() % 100000}`;
        const step = await measure(ctx, publisher, instances, layout, count, prefix);
        rates.set(n, step.rate);
        const perThousand = (ms: number) => (ms / count) * 1000;
        figures.add(`N=${n} combined end to end`, 'readings/s', step.rate);
        figures.add(
          `N=${n} lost or duplicated readings (InfluxDB)`,
          'readings',
          Math.abs(step.final - count),
        );
        figures.add(
          `N=${n} stored by the instances − published`,
          'readings',
          step.shares.reduce((a, b) => a + b, 0) - count,
        );
        if (n > 1) {
          step.shares.forEach((share, k) => {
            figures.add(`N=${n} share of instance ${k + 1}`, '%', (100 * share) / count);
          });
        }
        figures.add(`N=${n} daqd CPU per 1,000 readings (all instances)`, 'ms', perThousand(step.daqdCpu));
        figures.add(`N=${n} mosquitto CPU per 1,000 readings`, 'ms', perThousand(step.mosquittoCpu));
        figures.add(`N=${n} influxd CPU per 1,000 readings`, 'ms', perThousand(step.influxCpu));
        figures.add(`N=${n} largest peak RSS of an instance`, 'MB', step.peak);
        ctx.log(
          `  7 run ${run + 1}, N=${n}: ${fmt(step.rate)}/s, stored ${step.final}/${count}, ` +
            `split ${step.shares.map(fmt).join(' / ')}, daqd cpu ${perThousand(step.daqdCpu).toFixed(1)} ms/1k, ` +
            `mosquitto ${perThousand(step.mosquittoCpu).toFixed(1)}, influxd ${perThousand(step.influxCpu).toFixed(1)}`,
        );
      }
      const one = rates.get(1)!;
      for (const n of SCALE_OUT_STEPS)
        if (n > 1) figures.add(`N=${n} combined, % of N=1`, '%', (100 * rates.get(n)!) / one);
    }
  } finally {
    await publisher.end();
    await resize(ctx, instances, 0);
  }
  return {
    id: '7',
    title: 'scale-out: 1, 2 and 3 daqd instances in one mqtt_shared_group, the 1b load',
    figures: figures.list(),
    notes: [
      `${count.toLocaleString('en')} QoS 1 readings per step over 1,000 node topics in 10 networks; order of N per run: ${orders.join(', ')}`,
      'all instances, mosquitto, influxd and the publisher share the machine: N > 1 shows correctness and spread, not linear scaling',
    ],
  };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en');
}
