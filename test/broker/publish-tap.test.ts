import { expect } from 'chai';
import type { InboundMessage, MessageHandler } from '../../lib/acquire/source/source.js';
import { PublishTaps, type TapDone } from '../../lib/broker/publish-tap.js';
import { nowNs } from '../../lib/core/clock.js';
import { silentLog } from '../../lib/core/log.js';

/** One call of a gated handler: the test decides when (and how) its promise settles. */
interface Call {
  message: InboundMessage;
  resolve(): void;
  reject(err: unknown): void;
}

/** A handler whose calls wait until the test settles them one by one. */
function gatedHandler(): { handler: MessageHandler; calls: Call[] } {
  const calls: Call[] = [];
  const handler: MessageHandler = (message) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ message, resolve, reject });
    });
  return { handler, calls };
}

/** A done callback that records every call with its argument. */
function doneRecorder(): { done: TapDone; calls: (Error | null)[] } {
  const calls: (Error | null)[] = [];
  return { done: (err) => calls.push(err), calls };
}

/** Lets every pending promise reaction run (the taps settle through `.then`). */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` has settled by now (after pending reactions ran). */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await flush();
  return settled;
}

const payload = (text: string): Buffer => Buffer.from(text);
const topicsOf = (calls: Call[]): string[] => calls.map((call) => call.message.topic);

/** A while, for a hold that must outlast it. */
const SHORT_HOLD = 50;

describe('PublishTaps', () => {
  let taps: PublishTaps;

  beforeEach(() => {
    taps = new PublishTaps({ log: silentLog() });
  });

  afterEach(() => {
    // Clears the hold timers of taps a test left paused.
    taps.abort(new Error('test over'));
  });

  describe('offer() of a topic no tap matches', () => {
    it('calls done(null) synchronously when there is no tap at all', () => {
      const rec = doneRecorder();
      taps.offer('hiverize/testdrive/area-42/node-1/data.json', payload('{}'), 1, rec.done);
      expect(rec.calls).to.deep.equal([null]);
    });

    for (const qos of [0, 1, 2]) {
      it(`calls done(null) synchronously for QoS ${qos} without calling any handler`, () => {
        const gate = gatedHandler();
        taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
        const rec = doneRecorder();
        taps.offer('mqttkit-1/testdrive/area-42/node-1/data.json', payload('{}'), qos, rec.done);
        expect(rec.calls).to.deep.equal([null]);
        expect(gate.calls).to.have.length(0);
      });
    }

    it('does not look at taps that were never opened under that key', () => {
      expect(taps.isOpen('hiverize')).to.equal(false);
      const rec = doneRecorder();
      taps.offer('hiverize/x', payload('1'), 1, rec.done);
      expect(rec.calls).to.deep.equal([null]);
    });
  });

  describe('QoS 1 and 2', () => {
    for (const qos of [1, 2]) {
      it(`QoS ${qos}: calls done(null) only after the handler's promise resolved`, async () => {
        const gate = gatedHandler();
        taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
        const rec = doneRecorder();
        taps.offer('hiverize/testdrive/area-42/node-1/data.json', payload('{"t":1}'), qos, rec.done);
        expect(gate.calls).to.have.length(1);
        expect(rec.calls).to.deep.equal([]);
        await flush();
        expect(rec.calls, 'done before the handler settled').to.deep.equal([]);
        gate.calls[0]!.resolve();
        await flush();
        expect(rec.calls).to.deep.equal([null]);
      });
    }

    it('passes a rejection of the handler on to done with that very error', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      const rec = doneRecorder();
      taps.offer('hiverize/x', payload('1'), 1, rec.done);
      await flush();
      expect(rec.calls).to.deep.equal([]);
      const failure = new Error('store down');
      gate.calls[0]!.reject(failure);
      await flush();
      expect(rec.calls).to.have.length(1);
      expect(rec.calls[0]).to.equal(failure);
    });

    it('turns a rejection with a non-Error into an Error for done', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      const rec = doneRecorder();
      taps.offer('hiverize/x', payload('1'), 1, rec.done);
      gate.calls[0]!.reject('store down');
      await flush();
      expect(rec.calls).to.have.length(1);
      expect(rec.calls[0]).to.be.instanceOf(Error);
      expect(rec.calls[0]!.message).to.equal('store down');
    });

    it('waits for the handler even while the window has room', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 100 });
      const recs = [doneRecorder(), doneRecorder(), doneRecorder()];
      for (const [i, rec] of recs.entries()) taps.offer(`hiverize/${i}`, payload(String(i)), 1, rec.done);
      await flush();
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[], [], []]);
      // Settled out of order: each done follows its own handler.
      gate.calls[1]!.resolve();
      await flush();
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[], [null], []]);
      gate.calls[2]!.resolve();
      gate.calls[0]!.resolve();
      await flush();
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[null], [null], [null]]);
    });
  });

  describe('QoS 0 and the window', () => {
    it('calls done(null) before the handler settles while within the window', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 2 });
      const rec = doneRecorder();
      taps.offer('hiverize/x', payload('1'), 0, rec.done);
      expect(gate.calls).to.have.length(1);
      expect(rec.calls).to.deep.equal([null]);
      // Settling later does not call done a second time, not even on failure.
      gate.calls[0]!.reject(new Error('not stored'));
      await flush();
      expect(rec.calls).to.deep.equal([null]);
    });

    it('makes the next QoS 0 message wait once `window` messages are in the handler’s hands', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 2 });
      const recs = [doneRecorder(), doneRecorder(), doneRecorder()];
      for (const [i, rec] of recs.entries()) taps.offer(`hiverize/${i}`, payload(String(i)), 0, rec.done);
      expect(gate.calls).to.have.length(3);
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[null], [null], []]);
      await flush();
      expect(recs[2]!.calls, 'third done before its handler settled').to.deep.equal([]);
      // Freeing a place does not answer the waiting one: it waits for its own handler.
      gate.calls[0]!.resolve();
      await flush();
      expect(recs[2]!.calls).to.deep.equal([]);
      gate.calls[2]!.resolve();
      await flush();
      expect(recs[2]!.calls).to.deep.equal([null]);
    });

    it('gives a waiting QoS 0 message the error its handler rejects with', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 1 });
      const first = doneRecorder();
      const second = doneRecorder();
      taps.offer('hiverize/a', payload('1'), 0, first.done);
      taps.offer('hiverize/b', payload('2'), 0, second.done);
      expect(first.calls).to.deep.equal([null]);
      expect(second.calls).to.deep.equal([]);
      const failure = new Error('store down');
      gate.calls[1]!.reject(failure);
      await flush();
      expect(second.calls).to.have.length(1);
      expect(second.calls[0]).to.equal(failure);
    });

    it('answers QoS 0 at once again when the handler has caught up', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 1 });
      const first = doneRecorder();
      taps.offer('hiverize/a', payload('1'), 0, first.done);
      gate.calls[0]!.resolve();
      await flush();
      const second = doneRecorder();
      taps.offer('hiverize/b', payload('2'), 0, second.done);
      expect(second.calls).to.deep.equal([null]);
      gate.calls[1]!.resolve();
      await flush();
    });

    it('counts QoS 1 messages in the handler’s hands against the window', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 1 });
      const qos1 = doneRecorder();
      const qos0 = doneRecorder();
      taps.offer('hiverize/a', payload('1'), 1, qos1.done);
      taps.offer('hiverize/b', payload('2'), 0, qos0.done);
      expect(qos0.calls).to.deep.equal([]);
      gate.calls[1]!.resolve();
      await flush();
      expect(qos0.calls).to.deep.equal([null]);
      expect(qos1.calls).to.deep.equal([]);
      gate.calls[0]!.resolve();
      await flush();
      expect(qos1.calls).to.deep.equal([null]);
    });

    it('with window 0 makes every QoS 0 message wait for its handler', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 0 });
      const rec = doneRecorder();
      taps.offer('hiverize/a', payload('1'), 0, rec.done);
      expect(rec.calls).to.deep.equal([]);
      gate.calls[0]!.resolve();
      await flush();
      expect(rec.calls).to.deep.equal([null]);
    });
  });

  describe('order and message', () => {
    it('calls the handler synchronously within offer, in offer order', () => {
      const seen: string[] = [];
      const handler: MessageHandler = async (message) => {
        seen.push(message.topic);
      };
      taps.open('hiverize', { filters: ['hiverize/#'], handler, window: 1 });
      const topics = ['hiverize/1', 'hiverize/2', 'hiverize/3', 'hiverize/4', 'hiverize/5'];
      for (const [i, topic] of topics.entries()) {
        taps.offer(topic, payload(String(i)), i % 2, () => {});
        expect(seen, `after offer ${i}`).to.deep.equal(topics.slice(0, i + 1));
      }
    });

    it('hands over the topic, the same payload Buffer and a bigint receivedAt of now (ns)', () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 1 });
      const body = payload('{"temperature":21.5}');
      const before = nowNs();
      taps.offer('hiverize/testdrive/area-42/node-1/data.json', body, 1, () => {});
      const after = nowNs();
      expect(gate.calls).to.have.length(1);
      const message = gate.calls[0]!.message;
      expect(message.topic).to.equal('hiverize/testdrive/area-42/node-1/data.json');
      expect(message.payload).to.equal(body);
      expect(message.receivedAt).to.be.a('bigint');
      // nowNs mixes Date.now() with hrtime below the millisecond: allow a millisecond either way.
      expect(message.receivedAt >= before - 1_000_000n, 'receivedAt too early').to.equal(true);
      expect(message.receivedAt <= after + 1_000_000n, 'receivedAt too late').to.equal(true);
      gate.calls[0]!.resolve();
    });

    it('only takes messages of its own filters', () => {
      const gate = gatedHandler();
      taps.open('hiverize', {
        filters: ['hiverize/+/data.json', 'hiverize/status'],
        handler: gate.handler,
        window: 9,
      });
      const recs = ['hiverize/a/data.json', 'hiverize/status', 'hiverize/a/event.json', 'other/status'].map(
        (topic) => {
          const rec = doneRecorder();
          taps.offer(topic, payload('x'), 1, rec.done);
          return rec;
        },
      );
      expect(topicsOf(gate.calls)).to.deep.equal(['hiverize/a/data.json', 'hiverize/status']);
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[], [], [null], [null]]);
    });
  });

  describe('overlapping taps', () => {
    function twoTaps(): { a: ReturnType<typeof gatedHandler>; b: ReturnType<typeof gatedHandler> } {
      const a = gatedHandler();
      const b = gatedHandler();
      taps.open('all', { filters: ['#'], handler: a.handler, window: 10 });
      taps.open('hiverize', { filters: ['hiverize/#'], handler: b.handler, window: 10 });
      return { a, b };
    }

    it('hands the message to both and calls done once, after both settled', async () => {
      const { a, b } = twoTaps();
      const rec = doneRecorder();
      const body = payload('1');
      taps.offer('hiverize/x', body, 1, rec.done);
      expect(gate(a).message.payload).to.equal(body);
      expect(gate(b).message.payload).to.equal(body);
      expect(gate(a).message.topic).to.equal('hiverize/x');
      expect(gate(b).message.topic).to.equal('hiverize/x');
      gate(b).resolve();
      await flush();
      expect(rec.calls, 'done before the second handler settled').to.deep.equal([]);
      gate(a).resolve();
      await flush();
      expect(rec.calls).to.deep.equal([null]);
    });

    it('reports the first error once both settled', async () => {
      const { a, b } = twoTaps();
      const rec = doneRecorder();
      taps.offer('hiverize/x', payload('1'), 1, rec.done);
      const first = new Error('first');
      const second = new Error('second');
      gate(b).reject(first);
      await flush();
      expect(rec.calls).to.deep.equal([]);
      gate(a).reject(second);
      await flush();
      expect(rec.calls).to.have.length(1);
      expect(rec.calls[0]).to.equal(first);
    });

    it('reports an error even when the other tap stored the message', async () => {
      const { a, b } = twoTaps();
      const rec = doneRecorder();
      taps.offer('hiverize/x', payload('1'), 1, rec.done);
      const failure = new Error('store down');
      gate(a).resolve();
      await flush();
      gate(b).reject(failure);
      await flush();
      expect(rec.calls).to.have.length(1);
      expect(rec.calls[0]).to.equal(failure);
    });

    it('still answers a message only one of them matches through that one alone', async () => {
      const { a, b } = twoTaps();
      const rec = doneRecorder();
      taps.offer('mqttkit-1/x', payload('1'), 1, rec.done);
      expect(a.calls).to.have.length(1);
      expect(b.calls).to.have.length(0);
      gate(a).resolve();
      await flush();
      expect(rec.calls).to.deep.equal([null]);
    });

    it('waits for a paused one to deliver its held copy', async () => {
      const { a, b } = twoTaps();
      await taps.pause('hiverize');
      const rec = doneRecorder();
      taps.offer('hiverize/x', payload('1'), 1, rec.done);
      expect(a.calls).to.have.length(1);
      expect(b.calls).to.have.length(0);
      gate(a).resolve();
      await flush();
      expect(rec.calls, 'done while a copy is held').to.deep.equal([]);
      taps.open('hiverize', { filters: ['hiverize/#'], handler: b.handler, window: 10 });
      expect(b.calls).to.have.length(1);
      gate(b).resolve();
      await flush();
      expect(rec.calls).to.deep.equal([null]);
    });

    /** The only call of a gated handler. */
    function gate(h: ReturnType<typeof gatedHandler>): Call {
      expect(h.calls).to.have.length(1);
      return h.calls[0]!;
    }
  });

  describe('pause() and open() again', () => {
    it('resolves pause() only once the messages in the handler’s hands settled', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      taps.offer('hiverize/a', payload('1'), 1, () => {});
      taps.offer('hiverize/b', payload('2'), 0, () => {});
      const paused = taps.pause('hiverize');
      expect(taps.isOpen('hiverize')).to.equal(false);
      expect(await isSettled(paused)).to.equal(false);
      gate.calls[1]!.resolve();
      expect(await isSettled(paused), 'resolved with one still in hand').to.equal(false);
      gate.calls[0]!.reject(new Error('failed for good'));
      expect(await isSettled(paused)).to.equal(true);
      await paused;
    });

    it('resolves pause() at once when nothing is in the handler’s hands', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      expect(await isSettled(taps.pause('hiverize'))).to.equal(true);
    });

    it('resolves pause() of an unknown key at once', async () => {
      expect(await isSettled(taps.pause('nobody'))).to.equal(true);
      expect(taps.isOpen('nobody')).to.equal(false);
    });

    it('resolves every pending pause() once the handler settled', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      taps.offer('hiverize/a', payload('1'), 1, () => {});
      const first = taps.pause('hiverize');
      const second = taps.pause('hiverize');
      expect(await isSettled(first)).to.equal(false);
      expect(await isSettled(second)).to.equal(false);
      gate.calls[0]!.resolve();
      await Promise.all([first, second]);
    });

    it('resolves pause() once the messages of that opening settled, not those taken after a reopen', async () => {
      const first = gatedHandler();
      taps.open('k', { filters: ['k/#'], handler: first.handler, window: 10 });
      taps.offer('k/old', payload('old'), 1, doneRecorder().done);
      const pausing = taps.pause('k');
      const second = gatedHandler();
      taps.open('k', { filters: ['k/#'], handler: second.handler, window: 10 });
      taps.offer('k/new', payload('new'), 1, doneRecorder().done);
      first.calls[0]!.resolve();
      expect(await isSettled(pausing)).to.equal(true);
      second.calls[0]!.resolve();
    });

    it('takes a handler that throws instead of rejecting like a rejection, and can still pause', async () => {
      const boom = new Error('thrown');
      taps.open('k', {
        filters: ['k/#'],
        handler: () => {
          throw boom;
        },
        window: 10,
      });
      const rec = doneRecorder();
      taps.offer('k/a', payload('a'), 1, rec.done);
      await flush();
      expect(rec.calls).to.deep.equal([boom]);
      expect(await isSettled(taps.pause('k'))).to.equal(true);
    });

    it('holds messages offered while paused: no handler call, no done', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      await taps.pause('hiverize');
      const recs = [0, 1, 2].map((qos) => {
        const rec = doneRecorder();
        taps.offer(`hiverize/qos${qos}`, payload(String(qos)), qos, rec.done);
        return rec;
      });
      await flush();
      expect(gate.calls).to.have.length(0);
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[], [], []]);
    });

    it('delivers the held messages to the new handler in order when opened again', async () => {
      const old = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: old.handler, window: 10 });
      await taps.pause('hiverize');
      const topics = ['hiverize/1', 'hiverize/2', 'hiverize/3'];
      const bodies = topics.map((topic) => payload(topic));
      const recs = topics.map((topic, i) => {
        const rec = doneRecorder();
        taps.offer(topic, bodies[i]!, 1, rec.done);
        return rec;
      });
      const fresh = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: fresh.handler, window: 10 });
      expect(taps.isOpen('hiverize')).to.equal(true);
      expect(old.calls).to.have.length(0);
      expect(topicsOf(fresh.calls)).to.deep.equal(topics);
      for (const [i, call] of fresh.calls.entries()) expect(call.message.payload).to.equal(bodies[i]);
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[], [], []]);
      // New messages come after the held ones.
      taps.offer('hiverize/4', payload('4'), 1, () => {});
      expect(topicsOf(fresh.calls)).to.deep.equal([...topics, 'hiverize/4']);
      for (const call of fresh.calls) call.resolve();
      await flush();
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[null], [null], [null]]);
    });

    it('keeps the receive time of a held message', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      await taps.pause('hiverize');
      const before = nowNs();
      taps.offer('hiverize/a', payload('1'), 1, () => {});
      const after = nowNs();
      await sleep(5);
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      const receivedAt = gate.calls[0]!.message.receivedAt;
      expect(receivedAt >= before - 1_000_000n && receivedAt <= after + 1_000_000n).to.equal(true);
      gate.calls[0]!.resolve();
    });

    it('applies the new window to held QoS 0 messages', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 0 });
      await taps.pause('hiverize');
      const recs = [doneRecorder(), doneRecorder(), doneRecorder()];
      for (const [i, rec] of recs.entries()) taps.offer(`hiverize/${i}`, payload(String(i)), 0, rec.done);
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 2 });
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[null], [null], []]);
      for (const call of gate.calls) call.resolve();
      await flush();
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[null], [null], [null]]);
    });

    it('lets held messages the new filters no longer match go with done(null), unhandled', async () => {
      const old = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: old.handler, window: 10 });
      await taps.pause('hiverize');
      const offered = ['hiverize/a/data.json', 'hiverize/a/event.json', 'hiverize/b/data.json'];
      const recs = offered.map((topic) => {
        const rec = doneRecorder();
        taps.offer(topic, payload('x'), 1, rec.done);
        return rec;
      });
      const fresh = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/+/data.json'], handler: fresh.handler, window: 10 });
      expect(topicsOf(fresh.calls)).to.deep.equal(['hiverize/a/data.json', 'hiverize/b/data.json']);
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[], [null], []]);
      // The new filters are in force for new messages too.
      const later = doneRecorder();
      taps.offer('hiverize/c/event.json', payload('y'), 1, later.done);
      expect(later.calls).to.deep.equal([null]);
      expect(fresh.calls).to.have.length(2);
      for (const call of fresh.calls) call.resolve();
      await flush();
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[null], [null], [null]]);
    });

    it('holds the messages of a paused tap until close(): then they get done(null), unstored', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      await taps.pause('hiverize');
      const recs = [doneRecorder(), doneRecorder()];
      taps.offer('hiverize/a', payload('1'), 1, recs[0]!.done);
      taps.offer('hiverize/b', payload('2'), 0, recs[1]!.done);
      // Once a fixed 10 s hold let them through; nothing does now but open() or close().
      await sleep(SHORT_HOLD * 2);
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[], []]);
      taps.close('hiverize');
      expect(recs.map((rec) => rec.calls)).to.deep.equal([[null], [null]]);
      expect(gate.calls).to.have.length(0);
      expect(taps.isOpen('hiverize')).to.equal(false);
      // Gone: a later message of its topic goes on at once.
      const later = doneRecorder();
      taps.offer('hiverize/c', payload('3'), 1, later.done);
      expect(later.calls).to.deep.equal([null]);
      expect(gate.calls).to.have.length(0);
    });

    it('closes only the tap named; close() of an unknown key does nothing', async () => {
      const gone = gatedHandler();
      const kept = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gone.handler, window: 10 });
      taps.open('mqttkit', { filters: ['mqttkit-1/#'], handler: kept.handler, window: 10 });
      await taps.pause('hiverize');
      await taps.pause('mqttkit');
      const held = doneRecorder();
      taps.offer('mqttkit-1/x', payload('1'), 1, held.done);
      taps.close('hiverize');
      taps.close('nobody');
      expect(held.calls).to.deep.equal([]);
      taps.open('mqttkit', { filters: ['mqttkit-1/#'], handler: kept.handler, window: 10 });
      expect(kept.calls).to.have.length(1);
      kept.calls[0]!.resolve();
      await flush();
      expect(held.calls).to.deep.equal([null]);
    });

    it('reports paused taps with the messages they hold in holds(), until they open again', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      taps.open('mqttkit', { filters: ['mqttkit-1/#'], handler: gate.handler, window: 10 });
      expect(taps.holds()).to.deep.equal([]);
      const before = Date.now();
      await taps.pause('hiverize');
      taps.offer('hiverize/a', payload('1'), 1, () => {});
      taps.offer('hiverize/b', payload('2'), 1, () => {});
      const holds = taps.holds();
      expect(holds.map(({ key, messages }) => ({ key, messages }))).to.deep.equal([
        { key: 'hiverize', messages: 2 },
      ]);
      expect(Date.parse(holds[0]!.since)).to.be.within(before - 1000, Date.now());
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      expect(taps.holds()).to.deep.equal([]);
      for (const call of gate.calls) call.resolve();
    });
  });

  describe('abort()', () => {
    it('refuses held messages with the reason and resolves pending pause() promises', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      taps.offer('hiverize/a', payload('1'), 1, () => {});
      const paused = taps.pause('hiverize');
      const recs = [doneRecorder(), doneRecorder()];
      taps.offer('hiverize/b', payload('2'), 1, recs[0]!.done);
      taps.offer('hiverize/c', payload('3'), 0, recs[1]!.done);
      expect(await isSettled(paused)).to.equal(false);
      const reason = new Error('broker closing');
      taps.abort(reason);
      expect(recs[0]!.calls).to.have.length(1);
      expect(recs[0]!.calls[0]).to.equal(reason);
      expect(recs[1]!.calls).to.have.length(1);
      expect(recs[1]!.calls[0]).to.equal(reason);
      expect(await isSettled(paused)).to.equal(true);
      expect(gate.calls).to.have.length(1);
      gate.calls[0]!.resolve();
    });

    it('leaves no tap: later offers go on at once and isOpen is false', () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      taps.open('all', { filters: ['#'], handler: gate.handler, window: 10 });
      taps.abort(new Error('broker closing'));
      expect(taps.isOpen('hiverize')).to.equal(false);
      expect(taps.isOpen('all')).to.equal(false);
      const rec = doneRecorder();
      taps.offer('hiverize/a', payload('1'), 1, rec.done);
      expect(rec.calls).to.deep.equal([null]);
      expect(gate.calls).to.have.length(0);
    });

    it('calls done once with the reason for a message held by two paused taps', async () => {
      const gate = gatedHandler();
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      taps.open('all', { filters: ['#'], handler: gate.handler, window: 10 });
      await taps.pause('hiverize');
      await taps.pause('all');
      const rec = doneRecorder();
      taps.offer('hiverize/a', payload('1'), 1, rec.done);
      const reason = new Error('broker closing');
      taps.abort(reason);
      expect(rec.calls).to.have.length(1);
      expect(rec.calls[0]).to.equal(reason);
    });
  });

  describe('isOpen()', () => {
    it('follows open, pause and open again, per key', async () => {
      const gate = gatedHandler();
      expect(taps.isOpen('hiverize')).to.equal(false);
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      expect(taps.isOpen('hiverize')).to.equal(true);
      expect(taps.isOpen('mqttkit')).to.equal(false);
      const paused = taps.pause('hiverize');
      expect(taps.isOpen('hiverize')).to.equal(false);
      await paused;
      taps.open('hiverize', { filters: ['hiverize/#'], handler: gate.handler, window: 10 });
      expect(taps.isOpen('hiverize')).to.equal(true);
    });
  });
});
