import { eventually } from '../support/eventually.js';
import { Ledger } from './ledger.js';
import { HttpLoad, type Load, MqttLoad } from './load.js';
import { record, type ScenarioReport } from './report.js';
import { FaultRig, type RigOptions } from './rig.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An error's first line and, when it goes on (e.g. daqd's output), its last error line or last line. */
function firstAndLastLine(err: unknown): string {
  const lines = (err instanceof Error ? err.message : String(err)).split('\n').filter((l) => l.trim() !== '');
  const last = lines.slice(1).findLast((l) => / (error|crit|alert|emerg) /.test(l)) ?? lines.at(-1);
  return lines.length > 1 ? `${lines[0]} … ${last}` : (lines[0] ?? '');
}

/** What a fault may use while the load runs. */
export interface FaultContext {
  rig: FaultRig;
  ledger: Ledger;
  /** Adds an observation to the scenario's report. */
  note(text: string): void;
  /** Adds a problem: the scenario fails (e.g. /health said all is well during the fault). */
  fail(text: string): void;
}

/** One end-to-end scenario: a daqd set-up, a load, and the fault injected while the load runs. */
export interface Scenario {
  name: string;
  rig: RigOptions;
  /** MQTT publisher (QoS 1 by default) or HTTP POSTs. */
  load: { kind: 'mqtt'; qos?: 1 | 2 } | { kind: 'http' };
  /** Readings per second; default 300 (MQTT), 100 (HTTP). */
  rate?: number;
  /** Duplicates fail the scenario (the path promises exactly-once). */
  exactlyOnce?: boolean;
  /** Load before the fault, ms; default 2000. */
  warmup?: number;
  /** Injects the fault and repairs it, with the load running. */
  fault(ctx: FaultContext): Promise<void>;
  /** Load after the fault, ms; default 2000. */
  cooldown?: number;
  /** How long everything may take to be acknowledged and stored once the load stopped, ms; default 30 s. */
  settle?: number;
}

/**
 * Runs a scenario end to end and records its figures: every acknowledged reading must be stored,
 * every reading acknowledged in the end (the careful publisher keeps sending it), none refused, and
 * on an exactly-once path none stored twice. Returns the report; the caller asserts on `problems`.
 */
export async function runScenario(scenario: Scenario): Promise<ScenarioReport> {
  const started = performance.now();
  const rig = new FaultRig(scenario.rig);
  const ledger = new Ledger();
  const notes: string[] = [];
  const problems: string[] = [];
  let load: Load | undefined;
  let httpLoad: HttpLoad | undefined;
  try {
    await rig.start();
    if (scenario.load.kind === 'mqtt') {
      load = new MqttLoad(ledger, {
        url: rig.mqttUrl,
        clientId: `faults-publisher-${rig.network}`,
        topic: rig.topic,
        qos: scenario.load.qos ?? 1,
        // The built-in broker (aedes) speaks MQTT 3.1.1.
        protocolVersion: rig.options.broker === 'embedded' ? 4 : 5,
        rate: scenario.rate ?? 300,
        window: 100,
      });
    } else {
      httpLoad = new HttpLoad(ledger, { url: rig.ingestUrl, rate: scenario.rate ?? 100, concurrency: 4 });
      load = httpLoad;
    }
    await load.start();
    await sleep(scenario.warmup ?? 2000);
    await scenario.fault({
      rig,
      ledger,
      note: (text) => notes.push(text),
      fail: (text) => problems.push(text),
    });
    await sleep(scenario.cooldown ?? 2000);
    load.stopPublishing();
    const stored = rig.storedSeqs();
    await eventually(
      'every reading acknowledged and stored',
      async () => (ledger.open === 0 && ledger.allAcknowledgedIn(await stored()) ? true : undefined),
      scenario.settle ?? 30_000,
    ).catch(() => notes.push('not settled: some readings were still unacknowledged or unstored at the end'));
    // Late copies (a redelivery after the last check) would be duplicates too.
    await sleep(1000);
    const tally = ledger.tally(await stored());
    if (load instanceof MqttLoad && load.reconnects > 0)
      notes.push(`the publisher connected again ${load.reconnects} time(s)`);
    if (tally.lost > 0)
      problems.push(`${tally.lost} acknowledged readings not stored (first: ${tally.lostSample.join(', ')})`);
    if (scenario.exactlyOnce && tally.duplicated > 0)
      problems.push(`${tally.duplicated} readings stored twice on an exactly-once path`);
    if (tally.unacknowledged > 0)
      problems.push(`${tally.unacknowledged} readings never acknowledged after the fault was over`);
    if (tally.rejected > 0) {
      const codes = [...(httpLoad?.refusals ?? [])].map(([code, n]) => `${n} × HTTP ${code}`).join(', ');
      problems.push(`${tally.rejected} readings refused (${codes})`);
    }
    const report: ScenarioReport = {
      name: scenario.name,
      exactlyOnce: scenario.exactlyOnce ?? false,
      ...tally,
      problems,
      notes,
      seconds: (performance.now() - started) / 1000,
    };
    record(report);
    if (problems.length > 0 && process.env['DAQD_FAULTS_VERBOSE']) process.stderr.write(rig.output);
    return report;
  } catch (err) {
    record({
      name: scenario.name,
      exactlyOnce: scenario.exactlyOnce ?? false,
      ...ledger.tally([]),
      stored: 0,
      lost: 0,
      lostSample: [],
      problems: [...problems, `aborted: ${firstAndLastLine(err)}`],
      notes,
      seconds: (performance.now() - started) / 1000,
    });
    throw err;
  } finally {
    await load?.close();
    await rig.stop();
  }
}
