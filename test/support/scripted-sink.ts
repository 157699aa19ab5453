import type { QueryResult, Sink } from '../../lib/acquire/sink/sink.js';
import { StorageError } from '../../lib/core/errors.js';
import type { Point } from '../../lib/core/point.js';

/**
 * A scripted store: records each write call and fails as told. The batcher's contract is about when
 * and how it calls a Sink, so a recording Sink is the right instrument here; the real stores have
 * their own contract suite.
 */
export class ScriptedSink implements Sink {
  readonly kind = 'scripted';
  writes: { database: string; values: number[] }[] = [];
  /** Next write calls fail with these errors, in order. */
  failures: StorageError[] = [];
  /** Points with these values are always rejected for good. */
  poison = new Set<number>();
  /** While true, each write waits in `held` until the test releases it. */
  holding = false;
  held: (() => void)[] = [];
  /** How many points each write call carried, failed ones included. */
  attempts: number[] = [];
  /** While true, every write fails as a store that is down does. */
  down = false;

  async start() {}
  async stop() {}
  async ping() {
    return true;
  }
  async databases(): Promise<string[]> {
    return [];
  }
  async measurements() {
    return [];
  }
  async query(): Promise<QueryResult> {
    return { columns: [], rows: (async function* () {})() };
  }
  async write(database: string, points: readonly Point[]): Promise<void> {
    this.attempts.push(points.length);
    if (this.holding) await new Promise<void>((release) => this.held.push(release));
    if (this.down) throw new StorageError('connection refused', true);
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const values = points.map((p) => p.fields['v'] as number);
    if (values.some((v) => this.poison.has(v))) throw new StorageError('field type conflict', false);
    this.writes.push({ database, values });
  }
}

export function point(v: number): Point {
  return { measurement: 'm', tags: {}, fields: { v }, time: BigInt(v) };
}

/** Points with values from, from+1, …, from+count-1. */
export function points(from: number, count: number): Point[] {
  return Array.from({ length: count }, (_, i) => point(from + i));
}

/** Values from, from+1, …, from+count-1. */
export function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

/** Resolves once a write waits in the sink (polled: the batcher starts writes from its own callbacks). */
export async function heldWrite(sink: ScriptedSink): Promise<() => void> {
  const deadline = Date.now() + 5000;
  while (sink.held.length === 0) {
    if (Date.now() > deadline) throw new Error('no write reached the sink');
    await new Promise((r) => setImmediate(r));
  }
  return sink.held.shift() as () => void;
}
