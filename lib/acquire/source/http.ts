import { DecodeError, LimitError, StorageError } from '../../core/errors.js';
import type { Point } from '../../core/point.js';
import type { BodyItem, DecodedBody } from '../decode/decoder.js';
import type { Topology } from '../decode/topology.js';
import type { Source } from './source.js';

/** Where a body's readings go, and as what (a request's path says it). */
export interface HttpReadingsTarget {
  topology: Topology;
  kind: 'data' | 'event';
  /** The time the request arrived, integer nanoseconds: the time of readings without their own. */
  receivedAt: bigint;
}

/** What the HTTP source needs of its realm's channel: the way into its pipeline. */
export interface ReadingsIntake {
  /**
   * Runs readings through decode and sanitize as storing them would, on a scratch clock, and stores
   * nothing. Throws the `DecodeError` storing them would.
   */
  checkReadings(target: HttpReadingsTarget, readings: readonly Record<string, unknown>[]): void;
  /** Stores readings; resolves to their number once stored. Throws `DecodeError` / `StorageError`. */
  ingest(
    topology: Topology,
    kind: 'data' | 'event',
    readings: readonly Record<string, unknown>[],
    receivedAt: bigint,
  ): Promise<number>;
  /**
   * Stores points that arrived as points (InfluxDB line protocol) into one of the realm's databases;
   * resolves once stored. Throws `StorageError`. Absent: the intake takes readings only.
   */
  storePoints?(database: string, points: readonly Point[]): Promise<void>;
}

/** One request body for a realm: its target and its decoded readings. */
export interface HttpBody extends HttpReadingsTarget {
  body: DecodedBody;
  /** Called once the whole body is checked, before any of it is stored (the CSV header is kept then). */
  checked?: (() => Promise<void>) | undefined;
}

/**
 * The store failed part way through a body (it is down, or daqd is stopping): says how many of its
 * readings were stored, and from where on they were not, so the client can send the rest again.
 */
export class StoreInterruptedError extends StorageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
    this.name = 'StoreInterruptedError';
  }
}

/**
 * Readings handed to the channel at a time. A body with more is checked whole first, then stored part by
 * part, so its memory stays bounded by the body's bytes plus one part.
 */
const PART = 5000;

/**
 * A realm's HTTP ingest as a source: the HTTP layer parses a request (method, path, content type,
 * size) and has the body decoded by the decoder registry; this source hands the readings to the
 * realm's channel. `ingest` resolves once they are stored — only then does the request get its 2xx.
 * A body is checked whole before anything of it is stored: one bad reading refuses it (a
 * `DecodeError` saying which one) and stores nothing of it.
 *
 * A request that reached the realm before a restart is stored by the channel it reached, so a stopped
 * source still takes it; `stop()` waits for the bodies being stored.
 */
export class HttpSource implements Source {
  private running = false;
  private stopping: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly ctx: { intake: ReadingsIntake }) {}

  get connected(): boolean {
    return this.running;
  }

  get origin(): string {
    return 'http';
  }

  async start(): Promise<void> {
    if (this.stopping === undefined) this.running = true;
  }

  stop(): Promise<void> {
    if (this.stopping === undefined) {
      this.running = false;
      this.stopping = Promise.allSettled([...this.inFlight]).then(() => {});
    }
    return this.stopping;
  }

  /**
   * Stores a body's readings; resolves to their number once stored (0 for a body of headers only).
   * Throws `DecodeError` for a bad reading (naming where it is when the body has more than one) or
   * readings the store refused for good, `StoreInterruptedError` when the store failed part way.
   */
  ingest(request: HttpBody): Promise<number> {
    const job = this.take(request);
    this.inFlight.add(job);
    const forget = () => this.inFlight.delete(job);
    job.then(forget, forget);
    return job;
  }

  /**
   * Stores points (line protocol, decoded and checked already) into one of the realm's databases;
   * resolves once stored. Throws `StorageError` (retryable: the store is down and the spool full, or
   * daqd is stopping; not: the store refused them for good, and they are in the dead-letter store).
   */
  storePoints(database: string, points: readonly Point[]): Promise<void> {
    const { intake } = this.ctx;
    const job =
      intake.storePoints?.(database, points) ??
      Promise.reject(new StorageError('this intake takes no points', false));
    this.inFlight.add(job);
    const forget = () => this.inFlight.delete(job);
    job.then(forget, forget);
    return job;
  }

  private async take(request: HttpBody): Promise<number> {
    const job: IngestJob = { intake: this.ctx.intake, request, count: 0 };
    // First read: checks every reading; a body of at most PART readings is kept and stored from it.
    const { count, kept } = await checkBody(job);
    job.count = count;
    await request.checked?.();
    if (count > 0) {
      if (kept !== undefined) await storePart(job, kept, 0);
      else await storeInParts(job);
    }
    return count;
  }
}

/** One body's readings on their way into the channel. */
interface IngestJob {
  intake: ReadingsIntake;
  request: HttpBody;
  /** Readings in the body, once it has been read through. */
  count: number;
}

/**
 * Reads the body once. Up to `PART` readings are kept (the channel checks them as it stores them);
 * beyond that every part is checked and dropped, so a bad reading anywhere refuses the body before any
 * of it is stored.
 */
async function checkBody(job: IngestJob): Promise<{ count: number; kept: BodyItem[] | undefined }> {
  let part: BodyItem[] = [];
  let count = 0;
  let large = false;
  for await (const item of job.request.body.items()) {
    count++;
    part.push(item);
    if (part.length === PART) {
      large = true;
      checkPart(job, part);
      part = [];
    }
  }
  if (!large) return { count, kept: part };
  checkPart(job, part);
  return { count, kept: undefined };
}

function checkPart(job: IngestJob, part: readonly BodyItem[]): void {
  if (part.length === 0) return;
  try {
    job.intake.checkReadings(
      job.request,
      part.map((item) => item.reading),
    );
  } catch (err) {
    throw locatedError(err, job, part);
  }
}

/** Reads the body again and stores it part by part, each part once the one before is stored. */
async function storeInParts(job: IngestJob): Promise<void> {
  let part: BodyItem[] = [];
  let stored = 0;
  for await (const item of job.request.body.items()) {
    part.push(item);
    if (part.length === PART) {
      await storePart(job, part, stored);
      stored += part.length;
      part = [];
    }
  }
  if (part.length > 0) await storePart(job, part, stored);
}

async function storePart(job: IngestJob, part: readonly BodyItem[], stored: number): Promise<void> {
  const { topology, kind, receivedAt } = job.request;
  try {
    await job.intake.ingest(
      topology,
      kind,
      part.map((item) => item.reading),
      receivedAt,
    );
  } catch (err) {
    throw ingestError(err, job, part, stored);
  }
}

/**
 * What became of a part the channel did not store: the bad reading named, the store down or daqd
 * stopping (with how many readings of the body were stored before), the store refusing the points for
 * good (they are in the dead-letter store).
 */
function ingestError(err: unknown, job: IngestJob, part: readonly BodyItem[], stored: number): Error {
  if (err instanceof DecodeError) return locatedError(err, job, part);
  if (err instanceof StorageError) {
    if (err.retryable) {
      const what =
        stored === 0
          ? 'readings not stored'
          : `${stored} of the ${job.count} readings stored, those from ${job.request.body.where(part[0]!.line)} on not`;
      return new StoreInterruptedError(
        `${what}: storage is unavailable or daqd is stopping; send them again`,
        { cause: err },
      );
    }
    return new DecodeError(`the store refused the readings: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** A `DecodeError` of a part, with the place of its first bad reading (found by checking one by one). */
function locatedError(err: unknown, job: IngestJob, part: readonly BodyItem[]): Error {
  if (!(err instanceof DecodeError)) return err instanceof Error ? err : new Error(String(err));
  // A body of one reading needs no place.
  if (job.count === 1) return err;
  for (const item of part) {
    try {
      job.intake.checkReadings(job.request, [item.reading]);
    } catch {
      const message = `${job.request.body.where(item.line)}: ${err.message}`;
      return err instanceof LimitError ? new LimitError(message, err.status) : new DecodeError(message);
    }
  }
  return err;
}
