import type { DecoderFixtures } from './decoder-contract.js';

/**
 * A TTN v3 uplink as a webhook posts it (JSON format, The Things Stack's documented uplink message):
 * two gateways, LoRa settings, `frequency` as protobuf JSON writes a uint64 (text).
 */
export const TTN_UPLINK = {
  end_device_ids: {
    device_id: 'hive-scale-7',
    application_ids: { application_id: 'apiary' },
    dev_eui: '70B3D57ED0000001',
    join_eui: '0000000000000000',
    dev_addr: '260B1234',
  },
  correlation_ids: ['as:up:01HZX0000000000000000000'],
  received_at: '2024-05-17T08:15:42.123456789Z',
  uplink_message: {
    session_key_id: 'AYbJ0pz4QqIx0t1L8Abcdg==',
    f_port: 2,
    f_cnt: 1042,
    frm_payload: 'AWcA5AJoUA==',
    decoded_payload: { temperature_1: 22.8, relative_humidity_2: 40, weight: 31.25 },
    rx_metadata: [
      {
        gateway_ids: { gateway_id: 'garden-gw', eui: 'B827EBFFFE000001' },
        time: '2024-05-17T08:15:41.900000Z',
        timestamp: 1234567,
        rssi: -97,
        channel_rssi: -97,
        snr: 8.25,
        channel_index: 4,
      },
      {
        gateway_ids: { gateway_id: 'church-tower' },
        rssi: -118,
        channel_rssi: -118,
        snr: -9.5,
      },
    ],
    settings: {
      data_rate: { lora: { bandwidth: 125000, spreading_factor: 9, coding_rate: '4/5' } },
      frequency: '867300000',
      timestamp: 1234567,
    },
    received_at: '2024-05-17T08:15:41.987654321Z',
    consumed_airtime: '0.205824s',
    network_ids: { net_id: '000013', tenant_id: 'ttn', cluster_id: 'eu1' },
  },
};

/** What `TTN_UPLINK` decodes to, Kotori's names. */
export const TTN_UPLINK_READING = {
  device_id: 'hive-scale-7',
  timestamp: '2024-05-17T08:15:42.123456789Z',
  temperature_1: 22.8,
  relative_humidity_2: 40,
  weight: 31.25,
  bw: 125,
  sf: 9,
  freq: 867.3,
  counter: 1042,
  gtw_count: 2,
  'gw_garden-gw_rssi': -97,
  'gw_garden-gw_snr': 8.25,
  'gw_church-tower_rssi': -118,
  'gw_church-tower_snr': -9.5,
};

const json = (value: unknown) => JSON.stringify(value);

/** `ttnDecoder`: TTN v3 uplink documents, recognised in a JSON data container. */
export const ttnFixtures: DecoderFixtures = {
  valid: [
    { name: 'a full webhook uplink', payload: json(TTN_UPLINK), expected: [TTN_UPLINK_READING] },
    {
      name: "Kotori's minimal uplink: the decoded payload only",
      payload: '{"uplink_message": {"decoded_payload": {"temperature_1": 53.3, "voltage_4": 3.3}}}',
      expected: [{ temperature_1: 53.3, voltage_4: 3.3 }],
    },
    {
      name: 'an FSK uplink (no LoRa settings), a gateway without SNR, f_cnt 0 left out',
      payload: json({
        end_device_ids: { device_id: 'd1' },
        uplink_message: {
          decoded_payload: { level: 3 },
          settings: { data_rate: { fsk: { bit_rate: 50000 } }, frequency: '868800000' },
          rx_metadata: [{ gateway_ids: { gateway_id: 'gw1' }, rssi: -40 }],
        },
      }),
      expected: [{ device_id: 'd1', level: 3, freq: 868.8, gtw_count: 1, gw_gw1_rssi: -40 }],
    },
  ],
  malformed: [
    {
      name: 'no decoded payload (no payload formatter)',
      payload: json({ uplink_message: { frm_payload: 'AWc=', f_cnt: 3 } }),
      error:
        /^TTN uplink has no uplink_message\.decoded_payload \(the application needs a payload formatter\)$/,
    },
    {
      name: 'a gateway without its id',
      payload: json({ uplink_message: { decoded_payload: { a: 1 }, rx_metadata: [{ rssi: -40 }] } }),
      error: /^TTN uplink: uplink_message\.rx_metadata\[0\]\.gateway_ids is missing, not an object$/,
    },
  ],
  empty: [
    {
      name: 'an empty decoded payload',
      payload: json({ uplink_message: { decoded_payload: {} } }),
      error: /^TTN uplink has an empty uplink_message\.decoded_payload$/,
    },
  ],
  wrongTypes: [
    {
      name: 'decoded_payload is text',
      payload: json({ uplink_message: { decoded_payload: 'temperature=21' } }),
      error: /^TTN uplink: uplink_message\.decoded_payload is a string, not an object$/,
    },
    {
      name: 'rx_metadata is an object',
      payload: json({ uplink_message: { decoded_payload: { a: 1 }, rx_metadata: { rssi: -1 } } }),
      error: /^TTN uplink: uplink_message\.rx_metadata is an object, not an array$/,
    },
    {
      name: 'rssi is text',
      payload: json({
        uplink_message: {
          decoded_payload: { a: 1 },
          rx_metadata: [{ gateway_ids: { gateway_id: 'g' }, rssi: 'strong' }],
        },
      }),
      error: /^TTN uplink: uplink_message\.rx_metadata\[0\]\.rssi is 'strong', not a number$/,
    },
    {
      name: 'received_at is a number',
      payload: json({ received_at: 1715933742, uplink_message: { decoded_payload: { a: 1 } } }),
      error: /^TTN uplink: received_at is a number, not a string$/,
    },
    {
      name: 'device_id is a number',
      payload: json({ end_device_ids: { device_id: 7 }, uplink_message: { decoded_payload: { a: 1 } } }),
      error: /^TTN uplink: end_device_ids\.device_id is a number, not a string$/,
    },
  ],
};
