import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DaemonProcess, freePort } from '../support/daqd.js';

interface Answer {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/** A chunked POST from `localAddress` (another loopback address is another client to daqd). */
function chunkedUpload(port: number, localAddress: string, node: string) {
  const req = http.request({
    host: '127.0.0.1',
    port,
    localAddress,
    method: 'POST',
    path: `/api/hiverize/testdrive/area-1/${node}/data`,
    headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    agent: false,
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on('error', reject);
  });
  return { req, answer };
}

describe('HTTP: a stalled upload holds up no other client', function () {
  this.timeout(60_000);
  let dir: string;
  let daemon: DaemonProcess;
  let port: number;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-stall-'));
    await mkdir(path.join(dir, 'apps'));
    await writeFile(
      path.join(dir, 'apps', 'hiverize.ini'),
      '[hiverize]\ntype = application\nrealm = hiverize\napplication = mqttkit\nhttp_api = true\n',
    );
    port = await freePort();
    await writeFile(
      path.join(dir, 'daqd.ini'),
      `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\nshutdown_timeout = 5\n` +
        `[http]\nport = ${port}\nbody_timeout = 3\n` +
        `[mqtt]\nembedded = true\nport = ${await freePort()}\n[storage]\nbackend = sqlite\n`,
    );
    daemon = new DaemonProcess(path.join(dir, 'daqd.ini'));
    await daemon.waitFor(/ready: 1 realm/, 30_000);
  });

  after(async () => {
    await daemon?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers another client's chunked upload within 1 s, and refuses the stalled one with 408 after body_timeout", async () => {
    const stalledAt = Date.now();
    const stalled = chunkedUpload(port, '127.0.0.1', 'stalled');
    stalled.req.write('[{"v": 1}, ');
    // Its second large upload waits behind it (one large upload of a client at a time).
    await new Promise((r) => setTimeout(r, 300));
    const sameClient = chunkedUpload(port, '127.0.0.1', 'same-client');
    sameClient.req.end('[{"v": 3}]');

    // Another client's chunked (hence large) upload is not held up by the stalled one.
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const other = chunkedUpload(port, '127.0.0.2', 'other');
    other.req.write('[{"v": 2}, ');
    other.req.end('{"v": 2.5}]');
    const answer = await other.answer;
    expect(Date.now() - started, 'answered within 1 s').to.be.below(1000);
    expect(answer.status, answer.text).to.equal(200);
    expect(answer.text).to.include('Received #2 readings');

    const refused = await stalled.answer;
    expect(refused.status).to.equal(408);
    expect(JSON.parse(refused.text)).to.deep.equal({
      type: 'error',
      message: 'request body stalled: no data for 3 s ([http] body_timeout); send it again',
    });
    expect(refused.headers.connection).to.equal('close');
    expect(Date.now() - stalledAt).to.be.at.least(3000);

    // Once it was refused, the same client's next upload went through.
    const next = await sameClient.answer;
    expect(next.status, next.text).to.equal(200);
    stalled.req.destroy();

    // Nothing of the stalled upload was stored; the others were.
    const exported = await fetch(
      `http://127.0.0.1:${port}/api/hiverize/testdrive/area-1/stalled/data.json?from=now-1h`,
    );
    expect(exported.status).to.equal(404);
    const stored = await fetch(
      `http://127.0.0.1:${port}/api/hiverize/testdrive/area-1/other/data.json?from=now-1h`,
    );
    const rows = (await stored.json()) as { v: number }[];
    expect(rows.map((row) => row.v)).to.deep.equal([2, 2.5]);
  });
});
