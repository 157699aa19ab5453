/**
 * The ISEMS node log line (the open MPPT charge controller of the ISEMS solar mesh, `ffopenmppt.log`
 * and `/isems/<node>/csvlog`), as the ISEMS data collector's importer reads it: `;`-separated, no
 * header, 18 fields, 19 with the status, which is hexadecimal (`300` = 0x300). `csv_fields = isems`
 * names the cells of such lines with this list (see `decode/csv-lines.ts`).
 *
 * Stored as: numbers as floats; `isPowerSaveMode` `1`/`0` as the float 1/0 (Kotori's way with
 * booleans); `status` as the float of its hex value (0x300 → 768); `timestamp` (epoch seconds) as the
 * reading's time, so a line stored twice is the same point; `nodeId` and `openMPPTFirmwareVersion` as
 * string fields.
 */
export const ISEMS_CSV_FIELDS =
  'nodeId, isemsRevision, timestamp, openMPPTFirmwareVersion, timeToShutdown, isPowerSaveMode, ' +
  'openCircuitVoltage, mppVoltage, batteryVoltage, batteryChargeEstimate, batteryHealthEstimate, ' +
  'batteryTemperature, lowVoltageDisconnectVoltage, temperatureCorrectedVoltage, rateBatteryCapacity, ' +
  'ratedSolarModuleCapacity, latitude, longitude, status?:hex';
