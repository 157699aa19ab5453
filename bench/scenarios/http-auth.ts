import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hashSecret } from '../../lib/http/auth/secret-hash.js';
import { cannon } from '../autocannon.js';
import { DaqdProcess, REALM } from '../daqd.js';
import { ProcessMeter } from '../proc.js';
import { readingJson } from '../readings.js';
import { FigureSet, type ScenarioResult } from '../result.js';
import type { InfluxService, MosquittoService } from '../services.js';

/** What the authentication scenario runs against. */
export interface AuthBenchContext {
  quick: boolean;
  runs: number;
  mosquitto: MosquittoService;
  influx: InfluxService;
  log: (line: string) => void;
}

const USER = 'bench-node';
const SECRET = 'bench-secret-not-for-production';

/**
 * Scenario 6: what HTTP authentication costs. Two daqd processes on the same InfluxDB, one without an
 * access file and one with (`write` granted to one user, Basic credentials on every request, so every
 * request is authenticated; scrypt runs once, later requests hit the cache of verified secrets). Single
 * POSTs over 64 keep-alive connections to each in turn, in alternating order per run; figures:
 * requests/s of each and their ratio (the issue asks ≥ 90%).
 */
export async function httpAuthScenario(ctx: AuthBenchContext): Promise<ScenarioResult> {
  const figures = new FigureSet();
  const seconds = ctx.quick ? 2 : 8;
  const setup = { mode: 'influxdb' as const, mqttPort: ctx.mosquitto.port, influxUrl: ctx.influx.url };
  const open = new DaqdProcess(setup);
  const guarded = new DaqdProcess(setup, {
    http: { access_file: 'var/access.ini' },
    // Both are connected to the same mosquitto at once: one client id each.
    mqtt: { client_id: `daqd-bench-auth-${process.pid}` },
  });
  const hash = await hashSecret(SECRET);
  const authorization = `Basic ${Buffer.from(`${USER}:${SECRET}`).toString('base64')}`;
  try {
    await open.start();
    await guarded.start(async (dataDir) => {
      await writeFile(
        path.join(dataDir, 'access.ini'),
        `[users]\n${USER} = ${hash}\n[realm:${REALM}]\nwrite = ${USER}\n`,
      );
    });
    const measure = async (daqd: DaqdProcess, network: string, auth: boolean) => {
      const url = `http://127.0.0.1:${daqd.httpPort}/api/${REALM}/${network}/gw/node-1/data`;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (auth) headers['authorization'] = authorization;
      // Warm-up (JIT, the database, the verified-secret cache), then the measured run.
      await cannon({ url, method: 'POST', connections: 16, amount: 500, body: readingJson(0), headers });
      const meter = new ProcessMeter(daqd.pid);
      const run = await cannon({
        url,
        method: 'POST',
        connections: 64,
        duration: seconds,
        body: readingJson(1),
        headers,
      });
      const failed = run.result.non2xx + run.result.errors + run.result.timeouts;
      const cpu = (meter.cpu() / Math.max(run.result['2xx'], 1)) * 1000;
      return { rate: run.result['2xx'] / run.seconds, failed, p99: run.result.latency.p99, cpu };
    };
    for (let run = 0; run < ctx.runs; run++) {
      const stamp = `${run}x${Date.now() % 100000}`;
      const order = run % 2 === 0 ? (['open', 'auth'] as const) : (['auth', 'open'] as const);
      const measured: Record<string, Awaited<ReturnType<typeof measure>>> = {};
      for (const kind of order) {
        measured[kind] = await measure(
          kind === 'open' ? open : guarded,
          `${kind[0]}${stamp}`,
          kind === 'auth',
        );
      }
      const [without, withAuth] = [measured['open']!, measured['auth']!];
      figures.add('single POST requests/s without authentication', 'req/s', without.rate);
      figures.add('single POST requests/s with authentication (Basic)', 'req/s', withAuth.rate);
      figures.add('throughput with authentication, % of without', '%', (withAuth.rate / without.rate) * 100);
      figures.add('single POST latency p99 with authentication', 'ms', withAuth.p99);
      // CPU per request depends less on what else the machine runs than requests/s does.
      figures.add('daqd CPU per 1,000 POSTs without authentication', 'ms', without.cpu);
      figures.add('daqd CPU per 1,000 POSTs with authentication', 'ms', withAuth.cpu);
      figures.add('failed requests (both)', 'requests', without.failed + withAuth.failed);
      for (const kind of ['o', 'a'])
        await ctx.influx.client.query(`DROP DATABASE "${REALM}_${kind}${stamp}"`);
      ctx.log(
        `  6 run ${run + 1}: without ${Math.round(without.rate)} req/s, with ${Math.round(withAuth.rate)} req/s ` +
          `(${((withAuth.rate / without.rate) * 100).toFixed(1)}%)`,
      );
    }
  } finally {
    await Promise.all([open.stop(), guarded.stop()]);
  }
  return {
    id: '6',
    title: 'HTTP ingest with authentication',
    figures: figures.list(),
    notes: [
      `autocannon, 64 keep-alive connections for ${seconds} s per daqd and run, one JSON reading per POST, ` +
        'daqd without an access file against daqd with one (Basic credentials on every request); ' +
        'the two are measured one after the other, in alternating order.',
    ],
  };
}
