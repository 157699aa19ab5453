import mqttPacket from 'mqtt-packet';

/**
 * Turns off mqtt-packet's packet-id cache for the whole process (`writeToStream.cacheNumbers`, its
 * documented switch). On by default, it has mqtt-packet build a 2-byte Buffer for each of the 65,536
 * packet ids on the first packet it writes: ~6 MB of heap (~10 MB of RSS under load, by the
 * benchmark) that every full GC walks again, to save a 2-byte allocation per packet id written. Both
 * MQTT.js (daqd's broker connections) and aedes (the embedded broker) write through it, so daqd turns
 * it off once, before either writes a packet.
 */
export function turnOffPacketIdCache(): void {
  mqttPacket.writeToStream.cacheNumbers = false;
}
