/** The reading every scenario sends: five numeric fields, `seq` numbering the readings of a run. */
export function readingJson(i: number): string {
  return `{"temperature":${20 + (i % 100) / 10},"humidity":${40 + (i % 37)},"pressure":1013.25,"voltage":3.71,"seq":${i}}`;
}

/** The same reading as line-protocol fields, as daqd writes it. */
export function readingFields(i: number): string {
  return `temperature=${20 + (i % 100) / 10},humidity=${40 + (i % 37)},pressure=1013.25,voltage=3.71,seq=${i}`;
}

/** Where reading `i` of a layout goes: network, gateway and node (mqttkit). */
export interface Layout {
  /** Networks (→ databases) and nodes per network (→ measurements). */
  networks: number;
  nodesPerNetwork: number;
}

/** Topic address of reading `i` in a layout, round robin over every node. */
export function address(layout: Layout, prefix: string, i: number): { network: string; node: string } {
  const slot = i % (layout.networks * layout.nodesPerNetwork);
  const network = Math.floor(slot / layout.nodesPerNetwork);
  const node = slot % layout.nodesPerNetwork;
  return { network: `${prefix}x${network}`, node: `node-${node}` };
}
