import { parseCsvFields } from '../../../lib/acquire/decode/csv-lines.js';
import type { CsvColumn, SlotMatch } from '../../../lib/acquire/decode/decoder.js';
import type { DecoderFixtures } from './decoder-contract.js';

function columnsOf(text: string): CsvColumn[] {
  const parsed = parseCsvFields(text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.columns;
}

/** The match an app with `csv_fields = isems` gives every topic. */
const ISEMS: SlotMatch = { kind: 'data', columns: columnsOf('isems'), field: 'csvlog' };
/** `/isems/{node}/csvlog` has no `{slot}`: the slot is empty, the field `csvlog`. */
const SLOT = '';

/** The example line of the ISEMS collector's format (19 fields, status `300`). */
export const ISEMS_LINE =
  'Elektra-Dach;1;1530364575;ATmega8_A_1;711;0;18.614;18.614;14.073;100;100;28;11.67;14.086;7;20;52.507309;13.458635;300';

/** What the decoder makes of `ISEMS_LINE`: cells as text, the hex status as its number. */
export const ISEMS_READING = {
  nodeId: 'Elektra-Dach',
  isemsRevision: '1',
  timestamp: '1530364575',
  openMPPTFirmwareVersion: 'ATmega8_A_1',
  timeToShutdown: '711',
  isPowerSaveMode: '0',
  openCircuitVoltage: '18.614',
  mppVoltage: '18.614',
  batteryVoltage: '14.073',
  batteryChargeEstimate: '100',
  batteryHealthEstimate: '100',
  batteryTemperature: '28',
  lowVoltageDisconnectVoltage: '11.67',
  temperatureCorrectedVoltage: '14.086',
  rateBatteryCapacity: '7',
  ratedSolarModuleCapacity: '20',
  latitude: '52.507309',
  longitude: '13.458635',
  status: 0x300,
};

/** The same line without its status: 18 fields. */
const WITHOUT_STATUS = ISEMS_LINE.slice(0, ISEMS_LINE.lastIndexOf(';'));
const { status: _status, ...READING_WITHOUT_STATUS } = ISEMS_READING;

/**
 * `csvLinesDecoder` (apps with `csv_fields`; here the ISEMS preset): CSV lines without a header, one
 * reading per line. The contract compares readings; which lines were skipped is `csv-lines.test.ts`'s.
 */
export const csvLinesFixtures: DecoderFixtures = {
  valid: [
    {
      name: 'one ISEMS line (19 fields)',
      slot: SLOT,
      match: ISEMS,
      payload: ISEMS_LINE,
      expected: [ISEMS_READING],
    },
    {
      name: 'an ISEMS line without status (18 fields)',
      slot: SLOT,
      match: ISEMS,
      payload: `${WITHOUT_STATUS}\n`,
      expected: [READING_WITHOUT_STATUS],
    },
    {
      name: 'a log of several lines, CRLF and blank lines',
      slot: SLOT,
      match: ISEMS,
      payload: `${ISEMS_LINE}\r\n\r\n${ISEMS_LINE.replace('1530364575', '1530365475').replace(';300', ';0x1A')}\r\n`,
      expected: [ISEMS_READING, { ...ISEMS_READING, timestamp: '1530365475', status: 0x1a }],
    },
    {
      name: 'partly bad: lines with another field count are left out',
      slot: SLOT,
      match: ISEMS,
      payload: `${ISEMS_LINE}\nElektra-Dach;1;1530364576;broken\n${WITHOUT_STATUS};300;extra\n${WITHOUT_STATUS}`,
      expected: [ISEMS_READING, READING_WITHOUT_STATUS],
    },
    {
      name: 'a configured list; an empty cell is no value',
      slot: 'csvlog',
      match: { kind: 'data', columns: columnsOf('node, time, volts, flags?:hex') },
      payload: 'n1, 1700000000, ;ff\nn1;1700000060;12.5',
      expected: [
        { node: 'n1', time: '1700000000', flags: 255 },
        { node: 'n1', time: '1700000060', volts: '12.5' },
      ],
    },
  ],
  malformed: [
    {
      name: 'every line has another field count',
      slot: SLOT,
      match: ISEMS,
      payload: 'a;b;c\nd;e',
      error: /no good line \(2 skipped; line 1: 3 fields, expected 18 to 19\)/,
    },
    {
      name: 'invalid UTF-8',
      slot: SLOT,
      match: ISEMS,
      payload: Buffer.from([0xc3, 0x28]),
      error: /^slot 'csvlog': payload is not valid UTF-8$/,
    },
  ],
  empty: [
    { name: 'no payload', slot: SLOT, match: ISEMS, payload: '', error: /^slot 'csvlog': empty payload$/ },
    { name: 'blank lines only', slot: 'csvlog', match: ISEMS, payload: '\n \r\n', error: /empty payload/ },
  ],
  wrongTypes: [
    {
      name: 'a status that is not hexadecimal',
      slot: SLOT,
      match: ISEMS,
      payload: ISEMS_LINE.replace(/;300$/, ';OK'),
      error: /line 1: 'status' is 'OK', not a hexadecimal number/,
    },
    {
      name: 'a JSON document where CSV lines are configured',
      slot: SLOT,
      match: ISEMS,
      payload: '{"batteryVoltage": 14.1}',
      error: /1 fields, expected 18 to 19/,
    },
  ],
};
