import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

/**
 * Baseline (ii): `count` QoS 1 messages of the same shape, publisher → broker → bare subscriber.
 * Messages per second from the first publish until the subscriber has them all.
 */
export async function brokerBaseline(
  publisher: WireClient,
  subscriber: BareSubscriber,
  received: number,
  layout: Layout,
  count: number,
  window: number,
): Promise<{ rate: number; total: number }> {
  const total = received + count;
  const done = subscriber.waitFor(total);
  const started = performance.now();
  await publisher.publishMany({
    count,
    window,
    topic: (i) => {
      const { network, node } = address(layout, 'bare', i);
      return `bare/${network}/gw/${node}/data.json`;
    },
    payload: readingJson,
  });
  const ended = await done;
  return { rate: count / ((ended - started) / 1000), total };
}
