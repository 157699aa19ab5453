import { expect } from 'chai';
import { brokerExposureProblem, isLoopback } from '../../lib/config/broker-exposure.js';

describe('brokerExposureProblem (Mosquitto 2.0: no anonymous broker beyond loopback)', () => {
  it('tells loopback addresses from the rest', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      expect(isLoopback(host), host).to.equal(true);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'broker.lan', '::ffff:10.0.0.1', '128.0.0.1']) {
      expect(isLoopback(host), host).to.equal(false);
    }
  });

  it('refuses an embedded broker on a non-loopback address without password_file, naming both ways out', () => {
    const problem = brokerExposureProblem({ embedded: true, host: '0.0.0.0' });
    expect(problem)
      .to.match(/password_file/)
      .and.to.match(/allow_anonymous = true/);
    expect(problem).not.to.include('\n');
  });

  it('lets it start on loopback, with a password_file, with allow_anonymous, or when not embedded', () => {
    expect(brokerExposureProblem({ embedded: true, host: '127.0.0.1' })).to.equal(undefined);
    expect(
      brokerExposureProblem({ embedded: true, host: '0.0.0.0', password_file: '/etc/daqd/passwd' }),
    ).to.equal(undefined);
    expect(brokerExposureProblem({ embedded: true, host: '0.0.0.0', allow_anonymous: true })).to.equal(
      undefined,
    );
    expect(brokerExposureProblem({ embedded: false, host: '0.0.0.0' })).to.equal(undefined);
  });
});
