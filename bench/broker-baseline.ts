import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MosquittoSubscriber } from './mosquitto-sub.js';
import type { WireClient } from './mqtt-wire.js';
import { cpuMs } from './proc.js';
import { address, type Layout, readingJson } from './readings.js';

/** The broker baseline's subscriber in a child process of its own (see bare-subscriber.ts). */
export class BareSubscriber {
  private child: ChildProcess | undefined;
  private reached: ((count: number) => void) | undefined;

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  async start(port: number, filter: string): Promise<void> {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bare-subscriber.js');
    const child = fork(script, [String(port), filter], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child = child;
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message: { ready?: boolean; reached?: number }) => {
        if (message.ready) resolve();
        if (message.reached !== undefined) this.reached?.(message.reached);
      });
      child.once('exit', (code) => reject(new Error(`bare subscriber exited (${code})`)));
    });
    await ready;
  }

  /** Resolves with `performance.now()` once `total` messages arrived since start. */
  waitFor(total: number): Promise<number> {
    return new Promise((resolve) => {
      this.reached = () => {
        this.reached = undefined;
        resolve(performance.now());
      };
      this.child?.send({ expect: total });
    });
  }

  cpu(): number {
    return this.child?.pid ? cpuMs(this.child.pid) : 0;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.send({ stop: true });
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** Publishes `count` messages of the layout under the topic prefix `root` (`<root>/<net>/gw/<node>/data.json`). */
function publishUnder(
  publisher: WireClient,
  root: string,
  layout: Layout,
  count: number,
  window: number,
): Promise<void> {
  return publisher.publishMany({
    count,
    window,
    topic: (i) => {
      const { network, node } = address(layout, root, i);
      return `${root}/${network}/gw/${node}/data.json`;
    },
    payload: readingJson,
  });
}

/**
 * The broker → bare subscriber baseline: `count` QoS 1 messages of the same shape, publisher →
 * broker → bare subscriber. Messages per second from the first publish until the subscriber has
 * them all.
 */
export async function brokerBaseline(
  publisher: WireClient,
  subscriber: BareSubscriber,
  received: number,
  layout: Layout,
  count: number,
  window: number,
): Promise<{ rate: number; total: number; cpu: number }> {
  const total = received + count;
  const done = subscriber.waitFor(total);
  const cpu = subscriber.cpu();
  const started = performance.now();
  await publishUnder(publisher, 'bare', layout, count, window);
  const ended = await done;
  return { rate: count / ((ended - started) / 1000), total, cpu: subscriber.cpu() - cpu };
}

/** The same for `mosquitto_sub` (topics under `msub/`): first publish → it exited with `count` messages. */
export async function mosquittoSubBaseline(
  publisher: WireClient,
  subscriber: MosquittoSubscriber,
  layout: Layout,
  count: number,
  window: number,
): Promise<number> {
  const { exited } = await subscriber.arm(count);
  const started = performance.now();
  await publishUnder(publisher, 'msub', layout, count, window);
  const ended = await exited;
  return count / ((ended - started) / 1000);
}

/** One run of the broker ceiling: both subscribers' rates and the better one. */
export interface BrokerCeiling {
  bare: number;
  mosquittoSub: number;
  /** max(bare, mosquittoSub), msgs/s. */
  ceiling: number;
  /** Which subscriber set the ceiling. */
  taken: 'bare subscriber' | 'mosquitto_sub';
  /** Messages the bare subscriber has received in all (pass to the next run). */
  total: number;
  /** CPU milliseconds the bare subscriber used (mosquitto_sub's are not measured: it has exited). */
  bareCpu: number;
}

/**
 * The broker ceiling: the bare subscriber and `mosquitto_sub` measured back to back (which one goes
 * first alternates with `run`, so a drift in the machine's load favours neither), the faster one
 * taken. Both are cheaper per message than daqd, so daqd cannot beat the better of them unless the
 * machine itself got faster between the measurements.
 */
export async function brokerCeiling(
  publisher: WireClient,
  subscribers: { bare: BareSubscriber; mosquittoSub: MosquittoSubscriber },
  received: number,
  layout: Layout,
  count: number,
  window: number,
  run: number,
): Promise<BrokerCeiling> {
  let bare = { rate: 0, total: received, cpu: 0 };
  let mosquittoSub = 0;
  const measureBare = async () => {
    bare = await brokerBaseline(publisher, subscribers.bare, received, layout, count, window);
  };
  const measureMosquittoSub = async () => {
    mosquittoSub = await mosquittoSubBaseline(publisher, subscribers.mosquittoSub, layout, count, window);
  };
  if (run % 2 === 0) {
    await measureBare();
    await measureMosquittoSub();
  } else {
    await measureMosquittoSub();
    await measureBare();
  }
  const taken = mosquittoSub > bare.rate ? 'mosquitto_sub' : 'bare subscriber';
  return {
    bare: bare.rate,
    mosquittoSub,
    ceiling: Math.max(bare.rate, mosquittoSub),
    taken,
    total: bare.total,
    bareCpu: bare.cpu,
  };
}
