import { age, el, fetchJson, showValues } from './common.js';

interface OverviewNode {
  name: string;
  measurement: string;
  address?: string[];
  time?: number;
  values: Record<string, number | string | boolean>;
  silent: boolean;
}
interface Overview {
  realms: { realm: string; networks: { name: string; database: string; nodes: OverviewNode[] }[] }[];
  silentAfterMs: number;
  problems: string[];
}

/** How often the overview is read again, ms. */
const REFRESH_MS = 10_000;

const main = document.getElementById('overview')!;
const status = document.getElementById('status')!;

function nodeRow(realm: string, node: OverviewNode, now: number): HTMLTableRowElement {
  const row = el('tr');
  const name = el('td');
  if (node.address) {
    const link = el('a', node.name);
    link.href = `/node?${new URLSearchParams({ realm, address: node.address.join('/') })}`;
    name.append(link);
  } else name.textContent = node.name;
  row.append(name, el('td', showValues(node.values) || '—', 'values'));
  const heard = el('td');
  if (node.time !== undefined) {
    const time = el('time', age(now - node.time));
    time.dateTime = new Date(node.time).toISOString();
    time.title = new Date(node.time).toLocaleString();
    heard.append(time);
  } else heard.textContent = 'never';
  row.append(heard);
  // Said in words and a symbol, not by colour alone.
  row.append(node.silent ? el('td', '⚠ silent', 'state-silent') : el('td', '● live', 'state-live'));
  return row;
}

function render(overview: Overview): void {
  const now = Date.now();
  const parts: HTMLElement[] = [];
  for (const { realm, networks } of overview.realms) {
    const section = el('section');
    section.append(el('h2', `Realm ${realm}`));
    if (networks.length === 0) section.append(el('p', 'No data stored yet.'));
    for (const network of networks) {
      section.append(el('h3', network.name));
      const table = el('table');
      const head = el('tr');
      for (const title of ['Node', 'Latest values', 'Last heard', 'State']) head.append(el('th', title));
      table.append(el('thead'), el('tbody'));
      table.tHead!.append(head);
      for (const node of network.nodes) table.tBodies[0]!.append(nodeRow(realm, node, now));
      section.append(table);
    }
    parts.push(section);
  }
  if (overview.realms.length === 0) parts.push(el('p', 'No realm with an HTTP export is running.'));
  for (const problem of overview.problems) parts.push(el('p', `Problem: ${problem}`, 'state-silent'));
  main.replaceChildren(...parts);
  const minutes = Math.round(overview.silentAfterMs / 60_000);
  status.textContent = `Updated ${new Date(now).toLocaleTimeString()}. Nodes not heard from for ${minutes} min are marked silent.`;
}

async function refresh(): Promise<void> {
  try {
    render(await fetchJson<Overview>('/view/overview.json'));
  } catch (err) {
    status.textContent = `Cannot read the overview: ${(err as Error).message}`;
  }
}

void refresh();
setInterval(() => void refresh(), REFRESH_MS);
