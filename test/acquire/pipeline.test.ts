import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WriteBatcher } from '../../lib/acquire/deliver/batcher.js';
import { DeadLetterStore } from '../../lib/acquire/deliver/dead-letter.js';
import { deliver, messageToPoints, type PipelineContext, TopicRoutes } from '../../lib/acquire/pipeline.js';
import { SeriesClock } from '../../lib/acquire/sanitize/series-clock.js';
import { DEFAULT_TAG_FIELDS } from '../../lib/config/settings.js';
import { StorageError } from '../../lib/core/errors.js';
import { silentLog } from '../../lib/core/log.js';
import { ScriptedSink } from '../support/scripted-sink.js';

const app = { realm: 'acme', strategy: 'mqttkit' as const, tags: DEFAULT_TAG_FIELDS };

function context(routes?: TopicRoutes): PipelineContext {
  return { app, timezone: 'UTC', clock: new SeriesClock(), routes };
}

/** The result, or the error message, of one message through the pipeline. */
function outcome(ctx: PipelineContext, topic: string, payload: string, receivedAt: bigint): unknown {
  try {
    return messageToPoints({ topic, payload: Buffer.from(payload), receivedAt }, ctx);
  } catch (err) {
    return { error: (err as Error).name, message: (err as Error).message };
  }
}

const MESSAGES: [string, string][] = [
  ['acme/net-1/gw/node-1/data.json', '{"temperature": 21.5, "sensor_id": "a1"}'],
  ['acme/net-1/gw/node-1/data.json', '[{"v": 1}, {"v": 2, "time": 1583810982}]'],
  ['acme/net-1/gw/node-1/event.json', '{"title": "swarm", "level": 3}'],
  ['acme/net-1/gw/node-2/data/weight', '42.5'],
  ['acme/net-1/gw/node-2/data/weight', 'heavy'],
  ['acme/net-1/gw/node-1/error.json', '{"anything": true}'],
  ['acme/net-1/gw/node-1/status', 'online'],
  ['acme/net-1/gw/node-1/data.json', '{"temperature": '],
  ['acme/device/esp-7/data.json', '{"v": 7}'],
  ['other/net/gw/node/data.json', '{"v": 1}'],
  ['acme/net/gw', '{"v": 1}'],
  ['acme/net\u0001x/gw/node/data.json', '{"v": 1}'],
];

describe('acquire/pipeline', () => {
  it('gives the same points and the same errors with and without the topic memo', () => {
    const plain = context();
    const memo = context(new TopicRoutes());
    // Twice over: the second round reads every topic from the memo.
    for (let round = 0; round < 2; round++) {
      MESSAGES.forEach(([topic, payload], i) => {
        const at = 1_700_000_000_000_000_000n + BigInt(round * 100 + i);
        expect(outcome(memo, topic, payload, at), `${topic} ${payload}`).to.deep.equal(
          outcome(plain, topic, payload, at),
        );
      });
    }
  });

  it('keeps receive-time stamps of one series strictly increasing through the memo', () => {
    const ctx = context(new TopicRoutes());
    const times = [1, 2, 3].map(() => {
      const result = messageToPoints(
        { topic: 'acme/n/gw/node/data.json', payload: Buffer.from('{"v": 1}'), receivedAt: 5n },
        ctx,
      );
      return result.kind === 'points' ? result.points[0]?.time : undefined;
    });
    expect(times).to.deep.equal([5n, 6n, 7n]);
  });

  it('remembers at most maxRoutes topics and stays correct past that', () => {
    const routes = new TopicRoutes(3);
    const ctx = context(routes);
    for (let i = 0; i < 10; i++) {
      const result = messageToPoints(
        { topic: `acme/n/gw/node-${i}/data.json`, payload: Buffer.from('{"v": 1}'), receivedAt: 1n },
        ctx,
      );
      expect(result.kind === 'points' && result.points[0]?.measurement).to.equal(`gw_node_${i}_sensors`);
    }
    expect(routes.size).to.equal(3);
  });

  it('does not remember topics that do not decode', () => {
    const routes = new TopicRoutes();
    const ctx = context(routes);
    expect(() =>
      messageToPoints(
        { topic: 'elsewhere/a/b/c/data.json', payload: Buffer.from('{}'), receivedAt: 1n },
        ctx,
      ),
    ).to.throw(/not under realm 'acme'/);
    expect(routes.size).to.equal(0);
  });

  it('delivers the points of a message to its database through the batcher, settling once they are stored', async () => {
    const sink = new ScriptedSink();
    const dir = await mkdtemp(path.join(tmpdir(), 'daqd-pipeline-'));
    const batcher = new WriteBatcher({
      sink,
      limits: { batch_size: 10, flush_interval: 10, flush_idle: 2 },
      log: silentLog(),
      deadLetter: new DeadLetterStore({ dataDir: dir }),
    });
    try {
      const result = messageToPoints(
        { topic: 'acme/net-1/gw/node-1/data.json', payload: Buffer.from('{"v": 7}'), receivedAt: 1n },
        context(),
      );
      if (result.kind !== 'points') expect.fail(`nothing to store: ${result.reason}`);
      await deliver(result.database, result.points, batcher);
      expect(sink.writes).to.deep.equal([{ database: 'acme_net_1', values: [7] }]);
      sink.poison.add(8);
      const rejected = messageToPoints(
        { topic: 'acme/net-1/gw/node-1/data.json', payload: Buffer.from('{"v": 8}'), receivedAt: 2n },
        context(),
      );
      if (rejected.kind !== 'points') expect.fail('nothing to store');
      const err = await deliver(rejected.database, rejected.points, batcher).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(StorageError);
    } finally {
      await batcher.stop(1000);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
