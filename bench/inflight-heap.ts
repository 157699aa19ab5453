/**
 * Heap per MQTT message in flight: what one reading keeps alive while it waits for its batch to be
 * written (`MqttInbound` → `Channel` → `WriteBatcher`, a store that never answers). Each handler form
 * of the channel in turn, in a child process of its own:
 *
 *   npm run build && node --expose-gc dist/bench/inflight-heap.js
 *
 * Prints the heap growth per message (V8's `heapUsed` after full GCs, 20,000 messages in flight),
 * for the promise handler (`onMessage`, the embedded broker's tap) and the outcome handler
 * (`onMessageSettled`, an MQTT connection's).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WriteBatcher } from '../lib/acquire/deliver/batcher.js';
import { DeadLetterStore } from '../lib/acquire/deliver/dead-letter.js';
import { MqttInbound } from '../lib/acquire/source/mqtt-inbound.js';
import type { SourceHandlers } from '../lib/acquire/source/registry.js';
import type { Source } from '../lib/acquire/source/source.js';
import { Channel } from '../lib/channel/channel.js';
import { parseIni } from '../lib/config/ini-file.js';
import { readMainSettings } from '../lib/config/main-settings.js';
import { readRealmApps } from '../lib/config/realm-apps.js';
import type { RealmApp } from '../lib/config/settings.js';
import { silentLog } from '../lib/core/log.js';
import { recordingConnection } from '../test/support/mqtt-connection.js';
import { ScriptedSink } from '../test/support/scripted-sink.js';

const FORMS = ['promise', 'outcome'] as const;
type Form = (typeof FORMS)[number];
const IN_FLIGHT = 20_000;

/** Heap bytes per message in flight with the channel's handler `form`. Needs `--expose-gc`. */
async function measure(form: Form): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run node with --expose-gc');
  const main = readMainSettings(parseIni('', '/etc/daqd/daqd.ini').ini, {}).settings;
  const ini = '[lab]\ntype = application\nrealm = lab\napplication = basic\n';
  const app = readRealmApps([parseIni(ini, '/apps/lab.ini').ini], main).apps[0] as RealmApp;
  const dir = await mkdtemp(path.join(tmpdir(), 'daqd-inflight-'));
  // A store that holds every write: the readings handed to it stay in flight.
  const sink = new ScriptedSink();
  sink.holding = true;
  const batcher = new WriteBatcher({
    sink,
    // One batch that is never due: every reading waits in it.
    limits: { batch_size: 10_000_000, flush_interval: 3_600_000, flush_idle: 3_600_000 },
    log: silentLog(),
    deadLetter: new DeadLetterStore({ dataDir: dir }),
  });
  let handlers: SourceHandlers | undefined;
  const channel = new Channel({
    app,
    openSources: (h) => {
      handlers = h;
      return [{ origin: 'bench', connected: true, start: async () => {}, stop: async () => {} } as Source];
    },
    timezone: 'UTC',
    batcher,
    log: silentLog(),
  });
  await channel.start();
  const h = handlers as SourceHandlers;
  const conn = recordingConnection();
  const inbound = new MqttInbound({
    log: silentLog(),
    window: 10_000_000,
    onMessage: h.onMessage,
    onMessageSettled: form === 'outcome' ? h.onMessageSettled : undefined,
    current: () => conn,
    running: () => true,
    leaving: () => false,
    stopped: () => false,
    recycle: () => {},
  });
  const feed = (from: number, count: number) => {
    for (let i = from; i < from + count; i++) {
      inbound.onPublish(
        conn,
        {
          cmd: 'publish',
          qos: 1,
          dup: false,
          retain: false,
          topic: `lab/node-${i % 1000}/data.json`,
          payload: Buffer.from(`{"temperature": ${20 + (i % 10)}.5, "humidity": ${i % 100}}`),
          messageId: (i % 65535) + 1,
        },
        () => {},
      );
    }
  };
  const settle = async () => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    gc();
  };
  feed(0, 2_000); // warms up the code paths and the channel's caches
  await settle();
  const before = process.memoryUsage().heapUsed;
  feed(2_000, IN_FLIGHT);
  await settle();
  const after = process.memoryUsage().heapUsed;
  if (inbound.busy !== 2_000 + IN_FLIGHT) throw new Error(`${inbound.busy} in flight, not all of them`);
  await rm(dir, { recursive: true, force: true });
  return (after - before) / IN_FLIGHT;
}

const form = process.argv[2];
if (form === undefined) {
  // Each form in a fresh process, so one's leftovers do not count for the other.
  for (const f of FORMS) {
    const run = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), f], {
      stdio: 'inherit',
    });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
} else if ((FORMS as readonly string[]).includes(form)) {
  const bytes = await measure(form as Form);
  process.stdout.write(`${form} handler: ${bytes.toFixed(0)} bytes of heap per message in flight\n`);
  process.exit(0); // the held writes would keep the process waiting
} else {
  throw new Error(`unknown handler form '${form}' (${FORMS.join(', ')})`);
}
