import { expect } from 'chai';
import { AdmissionGate } from '../../lib/broker/admission.js';

describe('broker/admission: AdmissionGate', () => {
  it('open: lets clients in at once', () => {
    const gate = new AdmissionGate({ open: true });
    const admitted: string[] = [];
    gate.pass(() => admitted.push('a'));
    expect(admitted).to.deep.equal(['a']);
    expect(gate.waiting).to.equal(0);
  });

  it('closed: holds clients until open(), then lets them in in the order they came, once', () => {
    const gate = new AdmissionGate({ open: false });
    const admitted: string[] = [];
    gate.pass(() => admitted.push('a'));
    gate.pass(() => admitted.push('b'));
    expect(admitted).to.deep.equal([]);
    expect(gate.isOpen).to.equal(false);
    expect(gate.waiting).to.equal(2);
    gate.open();
    expect(admitted).to.deep.equal(['a', 'b']);
    expect(gate.isOpen).to.equal(true);
    expect(gate.waiting).to.equal(0);
    gate.open();
    gate.pass(() => admitted.push('c'));
    expect(admitted).to.deep.equal(['a', 'b', 'c']);
  });
});
