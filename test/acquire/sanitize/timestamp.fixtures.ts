/**
 * Timestamps and the instants they stand for, in integer nanoseconds. The expected values were
 * computed independently with Python's datetime and zoneinfo.
 */
export interface TimestampCase {
  name: string;
  value: unknown;
  /** IANA zone for zone-less strings; UTC unless given. */
  timezone?: string;
  expected?: bigint;
  /** A regular expression the DecodeError message must match. */
  error?: RegExp;
}

/** 2020-03-10T03:29:42Z */
const T = 1583810982000000000n;

export const timestampCases: TimestampCase[] = [
  // Epoch numbers: the unit follows the magnitude
  { name: 'seconds', value: 1583810982, expected: T },
  { name: 'fractional seconds keep the fraction', value: 1583810982.5, expected: T + 500000000n },
  { name: 'fractional seconds, milliseconds', value: 1583810982.123, expected: T + 123000000n },
  { name: 'milliseconds', value: 1583810982123, expected: T + 123000000n },
  { name: 'microseconds', value: 1583810982123456, expected: T + 123456000n },
  {
    name: 'nanoseconds as a JSON number: as JavaScript prints the rounded double',
    value: JSON.parse('1583810982123456789'),
    expected: 1583810982123456800n,
  },
  { name: 'smallest millisecond magnitude (1e11)', value: 100000000000, expected: 100000000000000000n },
  { name: 'seconds in the year 2100', value: 4102444800, expected: 4102444800000000000n },
  {
    name: 'just below the millisecond magnitude: seconds, beyond 2262',
    value: 99999999999,
    error: /out of range/,
  },
  { name: 'smallest microsecond magnitude (1e14)', value: 100000000000000, expected: 100000000000000000n },
  { name: 'smallest nanosecond magnitude (1e17)', value: 100000000000000000, expected: 100000000000000000n },
  { name: 'zero seconds', value: 0, expected: 0n },
  { name: 'negative seconds', value: -86400, expected: -86400000000000n },
  { name: 'negative milliseconds by magnitude', value: -618105600000, expected: -618105600000000000n },
  { name: 'bigint nanoseconds', value: 1583810982123456789n, expected: 1583810982123456789n },
  { name: 'bigint seconds', value: 1583810982n, expected: T },

  // Epoch numbers as strings: exact
  { name: 'nanoseconds as a string are exact', value: '1583810982123456789', expected: 1583810982123456789n },
  { name: 'microseconds as a string', value: '1583810982123456', expected: T + 123456000n },
  { name: 'milliseconds as a string', value: '1583810982123', expected: T + 123000000n },
  {
    name: 'milliseconds with a fraction as a string',
    value: '1583810982123.456789',
    expected: T + 123456789n,
  },
  { name: 'seconds as a string, trimmed', value: ' 1583810982 ', expected: T },
  {
    name: 'seconds with nine fractional digits, exact',
    value: '1583810982.123456789',
    expected: T + 123456789n,
  },
  { name: 'sub-nanosecond digits are dropped', value: '1583810982.1234567899', expected: T + 123456789n },
  { name: 'seconds in exponent form', value: '1.583810982e9', expected: T },
  { name: 'nanoseconds in exponent form', value: '1.583810982123456789e18', expected: 1583810982123456789n },

  // ISO 8601 / RFC 3339
  { name: 'UTC with Z', value: '2020-03-10T03:29:42Z', expected: T },
  { name: 'lower-case t and z', value: '2020-03-10t03:29:42z', expected: T },
  {
    name: 'nine fractional digits kept exactly',
    value: '2020-03-10T03:29:42.123456789Z',
    expected: T + 123456789n,
  },
  { name: 'three fractional digits', value: '2020-03-10T03:29:42.123Z', expected: T + 123000000n },
  { name: 'one fractional digit', value: '2020-03-10T03:29:42.5Z', expected: T + 500000000n },
  { name: 'comma as decimal sign', value: '2020-03-10T03:29:42,25Z', expected: T + 250000000n },
  {
    name: 'more than nine fractional digits: the rest dropped',
    value: '2020-03-10T03:29:42.1234567891Z',
    expected: T + 123456789n,
  },
  { name: 'offset +01:00', value: '2020-03-10T03:29:42+01:00', expected: 1583807382000000000n },
  { name: 'offset +0100', value: '2020-03-10T03:29:42+0100', expected: 1583807382000000000n },
  { name: 'offset +01', value: '2020-03-10T03:29:42+01', expected: 1583807382000000000n },
  { name: 'offset -05:00', value: '2020-03-10T03:29:42-05:00', expected: 1583828982000000000n },
  { name: 'offset +05:30', value: '2020-03-10T03:29:42+05:30', expected: 1583791182000000000n },
  { name: 'offset with fraction', value: '2020-03-10T03:29:42.000000001+00:00', expected: T + 1n },
  {
    name: 'offset wins over the time zone',
    value: '2020-03-10T03:29:42Z',
    timezone: 'America/New_York',
    expected: T,
  },
  { name: 'space instead of T', value: '2020-03-10 03:29:42Z', expected: T },
  { name: 'space before the offset', value: '2020-03-10 03:29:42 +01:00', expected: 1583807382000000000n },
  { name: 'UTC word', value: '2020-03-10 03:29:42 UTC', timezone: 'Europe/Berlin', expected: T },
  { name: 'without seconds', value: '2020-03-10T03:29Z', expected: T - 42000000000n },
  { name: 'before 1970', value: '1950-06-01T00:00:00Z', expected: -618105600000000000n },

  // Date only
  { name: 'date only, UTC', value: '2020-03-10', expected: 1583798400000000000n },
  {
    name: 'date only, Europe/Berlin',
    value: '2020-03-10',
    timezone: 'Europe/Berlin',
    expected: 1583794800000000000n,
  },

  // Zone-less: read in the given zone, DST-correct
  { name: 'zone-less, UTC', value: '2020-03-10 03:29:42', expected: T },
  {
    name: 'zone-less, Europe/Berlin in winter (+01:00)',
    value: '2020-01-15 12:00:00',
    timezone: 'Europe/Berlin',
    expected: 1579086000000000000n,
  },
  {
    name: 'zone-less, Europe/Berlin in summer (+02:00)',
    value: '2020-07-15 12:00:00',
    timezone: 'Europe/Berlin',
    expected: 1594807200000000000n,
  },
  {
    name: 'zone-less, America/New_York in winter (-05:00)',
    value: '2020-01-15 12:00:00',
    timezone: 'America/New_York',
    expected: 1579107600000000000n,
  },
  {
    name: 'zone-less, America/New_York in summer (-04:00)',
    value: '2020-07-15T12:00:00',
    timezone: 'America/New_York',
    expected: 1594828800000000000n,
  },
  {
    name: 'zone-less with fraction keeps it exactly',
    value: '2020-07-15T12:00:00.123456789',
    timezone: 'Europe/Berlin',
    expected: 1594807200123456789n,
  },
  {
    name: 'zone-less, Berlin clocks go back: the first 02:30 (CEST)',
    value: '2020-10-25 02:30:00',
    timezone: 'Europe/Berlin',
    expected: 1603585800000000000n,
  },
  {
    name: 'zone-less, Berlin clocks go forward: 02:30 does not exist, read as 03:30 CEST',
    value: '2020-03-29 02:30:00',
    timezone: 'Europe/Berlin',
    expected: 1585445400000000000n,
  },
  {
    name: 'zone-less, New York clocks go forward: 02:30 read as 03:30 EDT',
    value: '2020-03-08 02:30:00',
    timezone: 'America/New_York',
    expected: 1583652600000000000n,
  },

  // Date objects
  { name: 'Date object', value: new Date(Date.UTC(2020, 2, 10, 3, 29, 42, 123)), expected: T + 123000000n },

  // Not a time
  { name: 'a word', value: 'yesterday', error: /timestamp 'yesterday' is not a time/ },
  { name: 'empty string', value: '', error: /is not a time/ },
  { name: 'hexadecimal', value: '0x10', error: /timestamp '0x10' is not a time/ },
  { name: 'US date', value: '03/10/2020', error: /is not a time/ },
  { name: 'month 13', value: '2020-13-01T00:00:00Z', error: /'2020-13-01T00:00:00Z' is not a valid date/ },
  { name: 'February 30', value: '2020-02-30', error: /not a valid date/ },
  { name: 'February 29 of a common year', value: '2019-02-29', error: /not a valid date/ },
  { name: 'hour 25', value: '2020-03-10T25:00:00Z', error: /not a valid time of day/ },
  { name: 'minute 60', value: '2020-03-10T03:60:00Z', error: /not a valid time of day/ },
  { name: 'offset hours 24', value: '2020-03-10T03:29:42+24:00', error: /invalid offset/ },
  { name: 'garbage after the time', value: '2020-03-10T03:29:42Zfoo', error: /is not a time/ },
  {
    name: 'unknown time zone',
    value: '2020-03-10 03:29:42',
    timezone: 'Nowhere/Atlantis',
    error: /time zone 'Nowhere\/Atlantis'/,
  },
  { name: 'after the year 2262', value: '2300-01-01T00:00:00Z', error: /is out of range/ },
  { name: 'huge exponent', value: '1e999999999', error: /is out of range/ },
  { name: 'tiny exponent', value: '1e-999999999', error: /is out of range/ },
  { name: 'NaN', value: Number.NaN, error: /timestamp 'NaN' is not a time/ },
  { name: 'Infinity', value: Number.POSITIVE_INFINITY, error: /is not a time/ },
  { name: 'a number beyond int64 nanoseconds', value: 1e30, error: /out of range/ },
  { name: 'null', value: null, error: /timestamp 'null' is not a time/ },
  { name: 'boolean', value: true, error: /timestamp 'true' is not a time/ },
  { name: 'object', value: { t: 1 }, error: /timestamp '\{"t":1\}' is not a time/ },
  { name: 'invalid Date', value: new Date(Number.NaN), error: /Invalid Date/ },
];
