import { DecodeError } from '../../../core/errors.js';
import type { DatabaseTopology, Topology } from '../topology.js';
import type { Strategy, StrategyApp } from './strategy.js';
import { matchTopicTemplate } from './topic-template.js';

/**
 * The template strategy: any topic layout, given per app by `topic_template = …` (see
 * `topic-template.ts`), e.g. the Telegraf stack's `sensors/{node}/{field}`, MySense's
 * `IoS/{project}/{serial}`, ISEMS's `/isems/{node}/csvlog`. The key selects it; `application = …` does
 * not. Such an app has no HTTP addressing: a template says how topics map, not paths, so its HTTP
 * ingest, export and `latest` are refused when the configuration loads, and the path methods here
 * throw.
 */
export const templateStrategy: Strategy = {
  name: 'template',
  entryPoints: [],
  vendors: [],
  selectedBy: 'topic_template',
  addressShape: '<topic template>',
  topicToTopology(topic: string, app: StrategyApp): Topology {
    if (app.topic_template === undefined) {
      throw new DecodeError(`realm '${app.realm}' has no topic template`);
    }
    return matchTopicTemplate(topic, app.topic_template, app.realm);
  },
  pathToTopology(): Topology {
    throw new DecodeError('an app with a topic template has no HTTP addressing');
  },
  databaseTopology(): DatabaseTopology {
    throw new DecodeError('an app with a topic template has no HTTP addressing');
  },
};
