import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runCli } from '../../support/daqd.js';
import { AuthStack } from './auth-stack.js';

const run = promisify(execFile);

/** A self-signed certificate for 127.0.0.1, made with the openssl CLI. */
async function makeCertificate(certFile: string, keyFile: string, name: string): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'subjectAltName=IP:127.0.0.1',
  ]);
}

/** GET over HTTPS trusting only `ca`; the status and the certificate the server showed. */
function httpsGet(port: number, urlPath: string, ca: Buffer): Promise<{ status: number; subject: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: urlPath, ca, agent: false }, (res) => {
      const subject = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject.CN;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, subject: String(subject) }));
    });
    req.on('error', reject);
  });
}

describe('HTTP exposure and TLS (daqd process)', function () {
  this.timeout(60_000);
  const stacks: AuthStack[] = [];
  afterEach(async () => {
    await Promise.all(stacks.splice(0).map((s) => s.stop()));
  });

  it('refuses to listen beyond loopback without access rules (exit 78, one line saying what to set)', async () => {
    const stack = new AuthStack(['open'], [], '0.0.0.0');
    stacks.push(stack);
    await stack.prepare();
    const started = await runCli(['run', '--config', stack.config]);
    expect(started.code).to.equal(78);
    const lines = started.stderr.split('\n').filter((l) => l.includes('http.listen'));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include("'0.0.0.0' is reachable from other machines");
    expect(lines[0]).to.include('[http] access_file');
    expect(lines[0]).to.include('allow_anonymous = true');
    const checked = await runCli(['check', '--config', stack.config]);
    expect(checked.code).to.equal(78);
    expect(checked.stdout + checked.stderr).to.include('allow_anonymous = true');
  });

  it('listens beyond loopback when anonymous access is allowed deliberately', async () => {
    const stack = new AuthStack(['open'], ['allow_anonymous = true'], '0.0.0.0');
    stacks.push(stack);
    await stack.prepare();
    const daemon = await stack.start();
    expect(daemon.output).to.match(/listening on http:\/\/0\.0\.0\.0:\d+, no authentication/);
    const res = await fetch(`http://127.0.0.1:${stack.httpPort}/api/open/n/g/x/data`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"v": 1}',
    });
    expect(res.status).to.equal(200);
  });

  it('serves HTTPS from cert_file/key_file and takes a renewed certificate on SIGHUP', async () => {
    const stack = new AuthStack(['open'], ['cert_file = cert.pem', 'key_file = key.pem']);
    stacks.push(stack);
    await stack.prepare();
    const [cert, key] = [stack.file('cert.pem'), stack.file('key.pem')];
    await makeCertificate(cert, key, 'first');
    const firstCa = await readFile(cert);
    const daemon = await stack.start();
    expect(daemon.output).to.match(/listening on https:\/\/127\.0\.0\.1:\d+/);
    expect(await httpsGet(stack.httpPort, '/ping', firstCa)).to.deep.equal({ status: 204, subject: 'first' });
    // Plain HTTP to the HTTPS port gets no answer in HTTP.
    const plain = await new Promise<string>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port: stack.httpPort, path: '/ping', agent: false }, (res) =>
        resolve(`HTTP ${res.statusCode}`),
      );
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
    });
    expect(plain).not.to.equal('HTTP 204');

    await makeCertificate(cert, key, 'second');
    const secondCa = await readFile(cert);
    expect(new X509Certificate(secondCa).subject).to.include('second');
    const mark = daemon.output.length;
    daemon.signal('SIGHUP');
    await daemon.waitFor(/certificate '.*cert\.pem' read again/, 10_000, mark);
    expect(await httpsGet(stack.httpPort, '/ping', secondCa)).to.deep.equal({
      status: 204,
      subject: 'second',
    });

    // A key that does not fit the certificate leaves the certificate in use.
    await makeCertificate(stack.file('other.pem'), key, 'third');
    const mark2 = daemon.output.length;
    daemon.signal('SIGHUP');
    await daemon.waitFor(/the certificate in use stays/, 10_000, mark2);
    expect(await httpsGet(stack.httpPort, '/ping', secondCa)).to.deep.equal({
      status: 204,
      subject: 'second',
    });
  });
});
