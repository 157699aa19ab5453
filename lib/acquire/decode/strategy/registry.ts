import { basicStrategy } from './basic.js';
import { mqttkitStrategy } from './mqttkit.js';
import type { Strategy } from './strategy.js';
import { templateStrategy } from './template.js';

/**
 * Every strategy (topic scheme) a realm app may name, in the order messages list them. Adding one is
 * its file in this folder, its line here, and its tests.
 */
export const STRATEGIES: readonly Strategy[] = [mqttkitStrategy, basicStrategy, templateStrategy];

/** The strategies `application = …` may name (the others are selected by an app key). */
const BY_ENTRY_POINT: readonly Strategy[] = STRATEGIES.filter((s) => s.selectedBy === undefined);

/**
 * The strategy an app's `application = …` (or `app_factory = …`) selects: a strategy's name or one of
 * its Kotori entry points; undefined when none does.
 */
export function strategyForEntryPoint(entryPoint: string): Strategy | undefined {
  return BY_ENTRY_POINT.find((s) => s.name === entryPoint || s.entryPoints.includes(entryPoint));
}

/** The strategy of a Kotori vendor app (`type = vendor`, section named after the vendor), if any. */
export function strategyForVendor(vendor: string): Strategy | undefined {
  return STRATEGIES.find((s) => s.vendors.includes(vendor));
}

/** Every value `application = …` may have: the names first, then Kotori's entry points. */
export function strategyEntryPoints(): string[] {
  return [...BY_ENTRY_POINT.map((s) => s.name), ...BY_ENTRY_POINT.flatMap((s) => s.entryPoints)];
}

/** Every Kotori vendor app that names a strategy. */
export function strategyVendors(): string[] {
  return STRATEGIES.flatMap((s) => s.vendors);
}

/**
 * The strategy named `name` (`RealmApp.strategy`, checked when the configuration was loaded). An unknown
 * name is a programming error, not a configuration problem: it throws a plain `Error`.
 */
export function strategyNamed(name: string): Strategy {
  const strategy = STRATEGIES.find((s) => s.name === name);
  if (strategy === undefined) throw new Error(`no strategy named '${name}'`);
  return strategy;
}
