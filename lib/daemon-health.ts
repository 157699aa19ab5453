import type { WriteBatcher } from './acquire/deliver/batcher.js';
import type { Sink } from './acquire/sink/sink.js';
import type { PollNodeStatus } from './acquire/source/poll-nodes.js';
import type { EmbeddedBroker } from './broker/embedded.js';
import type { ChannelSupervisor } from './channel/supervisor.js';
import type { BoundedCheck } from './core/bounded-check.js';
import type { LiveFeed } from './web/live-feed.js';
import type { LiveRelay } from './web/live-relay.js';
import type { StoreFollow } from './web/store-follow.js';

/** The parts of a running daemon that /health reports on; those not started are undefined. */
export interface HealthParts {
  /** The store's check, answered within a bound (`BoundedCheck`). */
  storageCheck: BoundedCheck<boolean>;
  sink: Sink | undefined;
  batcher: WriteBatcher | undefined;
  supervisor: ChannelSupervisor | undefined;
  /** The embedded broker, when daqd runs one (`embedded` says whether it is configured). */
  broker: EmbeddedBroker | undefined;
  embedded: boolean;
  feed: LiveFeed;
  relay: LiveRelay | undefined;
  follow: StoreFollow | undefined;
}

/**
 * The daemon's /health report: ok only while the store answers its check and is not damaged, the
 * spool can be written, every realm is connected and none is restarting; with the figures behind it.
 */
export async function healthReport(parts: HealthParts): Promise<{ ok: boolean } & Record<string, unknown>> {
  const { sink, batcher, supervisor, broker } = parts;
  // A store that has not answered within the bound is reported as slow (its state unknown), not waited for.
  const check = await parts.storageCheck.result().catch(() => ({ state: 'answered' as const, value: false }));
  // A damaged store (a corrupt database file) answers, but needs an operator.
  const damage = sink?.damage?.() ?? [];
  const storage = check.state === 'answered' && check.value && damage.length === 0;
  const spool = batcher?.spoolHealth;
  const realms = (supervisor?.channels() ?? []).map((c) => ({
    realm: c.app.realm,
    connected: c.connected,
    received: c.stats.received,
    stored: c.stats.stored,
    failed: c.stats.failed,
    // Polled nodes: how many, and those down (a node down at night does not make daqd unhealthy).
    ...pollHealth(c.pollNodes()),
  }));
  // A realm restarting for a changed app takes no messages meanwhile (the embedded broker holds them).
  const restarting = (supervisor?.restartingRealms() ?? []).map(({ realm, since }) => ({
    realm,
    connected: false,
    restarting: true,
    since: new Date(since).toISOString(),
  }));
  return {
    ok: storage && spool?.ok !== false && realms.every((r) => r.connected) && restarting.length === 0,
    storage: {
      kind: sink?.kind,
      ok: storage,
      ...(check.state === 'slow'
        ? {
            check: 'slow',
            problem: `the store has not answered its check for ${check.pendingMs} ms; state unknown`,
          }
        : {}),
      ...(damage.length > 0 ? { damage } : {}),
      queued: batcher?.depth ?? 0,
      spooled_bytes: batcher?.spooledBytes ?? 0,
    },
    spool,
    broker: {
      embedded: parts.embedded,
      ...(broker === undefined
        ? {}
        : { held: broker.tapHolds().map(({ key, ...hold }) => ({ realm: key, ...hold })) }),
    },
    realms: [...realms, ...restarting],
    // The web view's open live streams, the shared realms followed on their broker for them, and the
    // nodes followed in the store.
    live: {
      streams: parts.feed.size,
      followed: parts.relay?.realms ?? [],
      ...(parts.follow === undefined ? {} : { store: parts.follow.nodes }),
    },
  };
}

/** A realm's polled nodes for /health: their number and those down, with since when and why. */
function pollHealth(nodes: readonly PollNodeStatus[]): Record<string, unknown> {
  if (nodes.length === 0) return {};
  const down = nodes
    .filter((node) => !node.up)
    .map((node) => ({
      url: node.url,
      since: node.downSince === undefined ? undefined : new Date(node.downSince).toISOString(),
      problem: node.problem,
    }));
  return { poll: { urls: nodes.length, up: nodes.length - down.length, down } };
}
