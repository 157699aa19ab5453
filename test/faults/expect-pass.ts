import { expect } from 'chai';
import { runScenario, type Scenario } from './scenario.js';

/** Defines one mocha test per scenario: it fails with the scenario's problems. */
export function scenarios(title: string, list: readonly Scenario[]): void {
  describe(title, function () {
    this.timeout(180_000);
    for (const scenario of list) {
      it(scenario.name, async () => {
        const report = await runScenario(scenario);
        expect(report.problems, report.problems.join('; ')).to.deep.equal([]);
      });
    }
  });
}
