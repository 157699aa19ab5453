import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { ApiStack } from './harness.js';

const WAN = `[wan]
type = application
realm = wan
application = mqttkit
http_api = true
`;

const ROWS = 200_000;
const BATCH = 5_000;
/**
 * Bound on the daemon's peak resident memory (VmHWM) over its whole life, export included. The daemon
 * starts at about 110 MB; the export adds what V8 lets its heap grow to before collecting (garbage of
 * parsed InfluxDB chunks, not retained rows), measured at about 60 MB for these 200k rows.
 */
const RSS_BOUND_MB = 200;
/** Bound on what the export adds to the peak. */
const GROWTH_BOUND_MB = 80;
/** 2020-03-10T00:00:00Z in nanoseconds; one row per second from there. */
const T0 = 1583798400n * 1_000_000_000n;
const SECOND = 1_000_000_000n;

/** A process's peak and current resident memory from /proc, in MiB. */
async function memory(pid: number): Promise<{ peak: number; now: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { peak: kib('VmHWM') / 1024, now: kib('VmRSS') / 1024 };
}

describe('HTTP export of 200k rows (real influxd, daqd process)', function () {
  this.timeout(120_000);
  const stack = new ApiStack({ wan: WAN });

  before(async () => {
    await stack.start();
    for (let at = 0; at < ROWS; at += BATCH) {
      const lines: string[] = [];
      for (let i = at; i < at + BATCH; i++) {
        lines.push(
          `gw_node_sensors,sensor_id=s${i % 7} temperature=${(20 + (i % 100) / 10).toFixed(1)},humidity=${40 + (i % 50)},` +
            `pressure=${1000 + (i % 30)},weight=${(i * 0.37).toFixed(2)},voltage=3.${i % 10},counter=${i} ${T0 + BigInt(i) * SECOND}`,
        );
      }
      await stack.writeLines('wan_big', lines.join('\n'));
    }
  });
  after(() => stack.stop());

  it(`streams every row as CSV while the daemon's peak RSS stays below ${RSS_BOUND_MB} MB`, async () => {
    const pid = stack.daemon?.pid;
    expect(pid).to.be.a('number');
    const before = await memory(pid!);
    const to = new Date(Number((T0 + BigInt(ROWS) * SECOND) / 1_000_000n)).toISOString();
    const res = await stack.fetch(`/api/wan/big/gw/node/data.csv?from=2020-03-10T00:00:00Z&to=${to}`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('transfer-encoding')).to.equal('chunked');

    // Counted as it arrives: the test holds no more of the export than the daemon should.
    let lines = 0;
    let bytes = 0;
    let first = '';
    let last = '';
    let tail = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body!) {
      bytes += chunk.length;
      const text = tail + decoder.decode(chunk, { stream: true });
      const parts = text.split('\n');
      tail = parts.pop() ?? '';
      if (first === '' && parts.length > 0) first = parts[0]!;
      lines += parts.length;
      if (parts.length > 0) last = parts[parts.length - 1]!;
    }
    const after = await memory(pid!);

    expect(first).to.equal('time,counter,humidity,pressure,temperature,voltage,weight,sensor_id');
    expect(lines).to.equal(ROWS + 1);
    expect(last).to.match(/^2020-03-12T07:33:19Z,199999,/);
    expect(bytes).to.be.above(10 * 1024 * 1024);
    expect(
      after.peak,
      `VmHWM ${after.peak.toFixed(1)} MiB (before the export: ${before.peak.toFixed(1)} MiB, ${(bytes / 1048576).toFixed(1)} MiB exported)`,
    ).to.be.below(RSS_BOUND_MB);
    expect(after.peak - before.peak).to.be.below(GROWTH_BOUND_MB);
  });
});
