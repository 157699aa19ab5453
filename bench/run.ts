import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './daqd.js';
import { mosquittoSubBinary } from './mosquitto-sub.js';
import { isMqttScenario, MQTT_SCENARIOS } from './readings.js';
import type { ScenarioResult } from './result.js';
import { embeddedScenario } from './scenarios/embedded.js';
import { exportScenario } from './scenarios/export.js';
import { httpAuthScenario } from './scenarios/http-auth.js';
import { httpIngest } from './scenarios/http-ingest.js';
import { lineProtocolScenario } from './scenarios/line-protocol.js';
import { mqttToInflux } from './scenarios/mqtt-influx.js';
import { scaleOutScenario } from './scenarios/scale-out.js';
import { findBinary, startInfluxd, startMosquitto } from './services.js';
import { formatTable } from './table.js';
import { type Check, checkTargets } from './targets.js';

const SCENARIOS = [...MQTT_SCENARIOS, '2', '3', '4', '5', '6', '7'] as const;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function versionOf(binary: string, args: readonly string[]): string {
  try {
    const out = execFileSync(binary, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 5000,
    });
    return out.split('\n')[0]?.trim() ?? '';
  } catch (err) {
    // mosquitto -h exits 3 after printing its version.
    const stdout = (err as { stdout?: string }).stdout ?? '';
    return stdout.split('\n')[0]?.trim() ?? 'unknown';
  }
}

/**
 * `npm run bench [-- --quick] [--only=1a,3] [--runs=N]`: starts mosquitto and influxd on free loopback
 * ports, runs each scenario against daqd from dist/, prints the table and writes bench/results.json
 * (bench/results.quick.json for --quick, bench/results.partial.json for --only).
 */
async function main(argv: readonly string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const only = argv
    .find((a) => a.startsWith('--only='))
    ?.slice('--only='.length)
    .split(',');
  const runs = Math.max(1, Number(argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 3));
  const unknown = only?.filter((id) => !(SCENARIOS as readonly string[]).includes(id)) ?? [];
  if (unknown.length > 0)
    throw new Error(`--only: no scenario ${unknown.join(', ')} (${SCENARIOS.join(', ')})`);
  // The broker ceiling of the MQTT scenarios (1a–1e) needs it: fail before anything starts.
  if (only === undefined || only.some(isMqttScenario)) mosquittoSubBinary();
  const started = performance.now();
  log(`daqd benchmark: ${quick ? 'quick' : 'full'}, ${runs} runs per figure, ${os.cpus().length} cores`);
  const results: ScenarioResult[] = [];
  const [mosquittoStart, influxStart] = await Promise.allSettled([startMosquitto(), startInfluxd()]);
  if (mosquittoStart.status === 'rejected' || influxStart.status === 'rejected') {
    // Whichever did start is stopped again (its temp dir removed) before the error is reported.
    if (mosquittoStart.status === 'fulfilled') await mosquittoStart.value.stop();
    if (influxStart.status === 'fulfilled') await influxStart.value.stop();
    throw mosquittoStart.status === 'rejected'
      ? mosquittoStart.reason
      : (influxStart as PromiseRejectedResult).reason;
  }
  const mosquitto = mosquittoStart.value;
  const influx = influxStart.value;
  try {
    const ctx = { quick, runs, mosquitto, influx, log };
    for (const id of SCENARIOS) {
      if (only !== undefined && !only.includes(id)) continue;
      const at = performance.now();
      log(`scenario ${id}`);
      if (isMqttScenario(id)) results.push(await mqttToInflux(ctx, id));
      else if (id === '2') results.push(await httpIngest(ctx));
      else if (id === '3') results.push(await exportScenario(ctx));
      else if (id === '4') results.push(await embeddedScenario(ctx));
      else if (id === '5') results.push(await lineProtocolScenario(ctx));
      else if (id === '6') results.push(await httpAuthScenario(ctx));
      else results.push(await scaleOutScenario(ctx));
      log(`  (${((performance.now() - at) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await Promise.all([mosquitto.stop(), influx.stop()]);
  }
  const seconds = (performance.now() - started) / 1000;
  const checks: Check[] = checkTargets(results);
  log('');
  log(formatTable(results, checks));
  log(`\n${quick ? 'quick' : 'full'} run took ${seconds.toFixed(0)} s`);
  const report = {
    generated: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    runs_per_figure: runs,
    duration_s: Math.round(seconds),
    machine: {
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? 'unknown',
      memory_gb: Math.round(os.totalmem() / 2 ** 30),
      kernel: os.release(),
      node: process.version,
      mosquitto: versionOf(findBinary('mosquitto', ['/usr/sbin/mosquitto'], 'mosquitto'), ['-h']),
      influxd: versionOf(findBinary('influxd', ['/usr/bin/influxd'], 'influxdb'), ['version']),
    },
    targets: checks,
    scenarios: results,
  };
  const file = quick ? 'results.quick.json' : only !== undefined ? 'results.partial.json' : 'results.json';
  await writeFile(path.join(ROOT, 'bench', file), `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote bench/${file}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    // A missing binary or a failed service start is one line; anything else keeps its stack.
    const known =
      err instanceof Error && /not found: apt-get install|exited during startup|^--only:/.test(err.message);
    process.stderr.write(
      `bench: ${err instanceof Error ? (known ? err.message : (err.stack ?? err.message)) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
