import { expect } from 'chai';
import { formReadings } from '../../../lib/acquire/decode/form.js';
import { DecodeError } from '../../../lib/core/errors.js';

describe('formReadings', () => {
  it('takes the first value of a name, leaves out empty values, keeps values as text', () => {
    expect(formReadings('a=1&b=x+y&a=2&c=&d=%C3%A4').readings).to.deep.equal([{ a: '1', b: 'x y', d: 'ä' }]);
  });

  it('refuses a form without any value', () => {
    expect(() => formReadings('')).to.throw(DecodeError, 'request body is empty');
    expect(() => formReadings('a=&b=')).to.throw(
      DecodeError,
      'form body holds no name=value pair with a value',
    );
    expect(() => formReadings('PASSKEY=secret')).to.throw(DecodeError, 'form body holds no name=value pair');
  });

  it('keeps __proto__ as a field name', () => {
    const [reading] = formReadings('__proto__=1&v=2').readings;
    expect(Object.keys(reading!)).to.deep.equal(['__proto__', 'v']);
  });
});
