import { expect } from 'chai';
import { strategyNamed } from '../../../../lib/acquire/decode/strategy/registry.js';
import { templateStrategy } from '../../../../lib/acquire/decode/strategy/template.js';
import {
  matchTopicTemplate,
  parseTopicTemplate,
  type TopicTemplate,
} from '../../../../lib/acquire/decode/strategy/topic-template.js';
import { topicToTopology } from '../../../../lib/acquire/decode/topic.js';
import type { Topology } from '../../../../lib/acquire/decode/topology.js';
import { DecodeError } from '../../../../lib/core/errors.js';

function compile(text: string): TopicTemplate {
  const result = parseTopicTemplate(text);
  if ('problem' in result) throw new Error(`'${text}' should compile: ${result.problem}`);
  return result.template;
}

describe('parseTopicTemplate', () => {
  const valid: [string, string, string[]][] = [
    ['sensors/{node}/{field}', 'sensors/+/+', ['node', 'field']],
    ['tele/{node}/{slot}', 'tele/+/+', ['node', 'slot']],
    ['IoS/{project}/{serial}', 'IoS/+/+', ['project', 'serial']],
    ['/isems/{node}/csvlog', '/isems/+/csvlog', ['node']],
    [
      '{realm}/{network}/{gateway}/{node}/+/{field}',
      '+/+/+/+/+/+',
      ['realm', 'network', 'gateway', 'node', 'field'],
    ],
    ['home/{node}/#', 'home/+/#', ['node']],
  ];
  for (const [text, filter, names] of valid) {
    it(`compiles '${text}' and subscribes to '${filter}'`, () => {
      const template = compile(text);
      expect(template.filter).to.equal(filter);
      expect(template.names).to.deep.equal(names);
    });
  }

  const invalid: [string, RegExp][] = [
    ['', /empty topic template/],
    ['sensors/+/#', /names no part/],
    ['sensors/{node}/{node}', /part '\{node\}' appears twice/],
    ['sensors/dev-{node}/{field}', /level 'dev-\{node\}' is not a part/],
    ['sensors/{node/{field}', /is not a part/],
    ['sensors/#/{node}', /'#' must be the last level/],
    ['sensors/a+/{node}', /'\+' and '#' must be whole levels/],
    ['{network}/{node}/{field}', /'\{network\}' and '\{gateway\}' go together/],
    ['sensors/{field}', /names no node/],
    ['sensors/{node-id}', /is not a part/],
  ];
  for (const [text, problem] of invalid) {
    it(`refuses '${text}'`, () => {
      const result = parseTopicTemplate(text);
      expect(result).to.have.property('problem').that.matches(problem);
    });
  }
});

describe('matchTopicTemplate', () => {
  const cases: { name: string; template: string; topic: string; expected?: Topology; error?: RegExp }[] = [
    {
      name: "Telegraf's sensors/<device>/<metric>",
      template: 'sensors/{node}/{field}',
      topic: 'sensors/livingroom/temperature',
      expected: { realm: 'home', node: 'livingroom', slot: '', field: 'temperature', tags: {} },
    },
    {
      name: "MySense's IoS/<project>/<serial>: the last tag part is the node",
      template: 'IoS/{project}/{serial}',
      topic: 'IoS/luchtmeetnet/abc123',
      expected: {
        realm: 'home',
        node: 'abc123',
        slot: '',
        field: 'abc123',
        tags: { project: 'luchtmeetnet', serial: 'abc123' },
      },
    },
    {
      name: "ISEMS's /isems/<node>/csvlog (leading slash)",
      template: '/isems/{node}/csvlog',
      topic: '/isems/node-7/csvlog',
      expected: { realm: 'home', node: 'node-7', slot: '', field: 'csvlog', tags: {} },
    },
    {
      name: 'a slot part',
      template: 'tele/{node}/{slot}',
      topic: 'tele/plug/SENSOR',
      expected: { realm: 'home', node: 'plug', slot: 'SENSOR', field: 'SENSOR', tags: {} },
    },
    {
      name: 'network and gateway, realm, an ignored + level',
      template: '{realm}/{network}/{gateway}/{node}/+/{field}',
      topic: 'home/net/gw/n1/ignored/hum',
      expected: {
        realm: 'home',
        network: 'net',
        gateway: 'gw',
        node: 'n1',
        slot: '',
        field: 'hum',
        tags: {},
      },
    },
    {
      name: '# takes the rest, the last level is the field',
      template: 'home/{node}/#',
      topic: 'home/kitchen/a/b/c',
      expected: { realm: 'home', node: 'kitchen', slot: '', field: 'c', tags: {} },
    },
    {
      name: 'another literal',
      template: 'sensors/{node}/{field}',
      topic: 'other/x/y',
      error: /does not match/,
    },
    {
      name: 'too few levels',
      template: 'sensors/{node}/{field}',
      topic: 'sensors/x',
      error: /does not match/,
    },
    {
      name: 'too many levels',
      template: 'sensors/{node}/{field}',
      topic: 'sensors/x/y/z',
      error: /does not match/,
    },
    {
      name: 'an empty part',
      template: 'sensors/{node}/{field}',
      topic: 'sensors//t',
      error: /empty '\{node\}'/,
    },
    {
      name: 'control characters',
      template: 'sensors/{node}/{field}',
      topic: 'sensors/a\nb/t',
      error: /'\{node\}' contains control characters/,
    },
    {
      name: 'another realm',
      template: '{realm}/{node}/{field}',
      topic: 'work/n/t',
      error: /topic 'work\/n\/t' is not under realm 'home'/,
    },
    { name: 'an empty last level', template: 'home/{node}/#', topic: 'home/n/', error: /no field name/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const template = compile(c.template);
      if (c.error) {
        expect(() => matchTopicTemplate(c.topic, template, 'home'))
          .to.throw(DecodeError)
          .with.property('message')
          .that.matches(c.error);
      } else {
        expect(matchTopicTemplate(c.topic, template, 'home')).to.deep.equal(c.expected);
      }
    });
  }
});

describe('template strategy', () => {
  it('is in the registry and reads topics with the app’s template', () => {
    expect(strategyNamed('template')).to.equal(templateStrategy);
    const app = { realm: 'home', strategy: 'template', topic_template: compile('sensors/{node}/{field}') };
    expect(topicToTopology('sensors/hall/temperature', app)).to.include({
      node: 'hall',
      field: 'temperature',
    });
  });

  it('has no HTTP addressing', () => {
    const app = { realm: 'home', topic_template: compile('sensors/{node}/{field}') };
    expect(() => templateStrategy.pathToTopology(['hall'], 'data.json', app)).to.throw(
      DecodeError,
      'no HTTP addressing',
    );
    expect(() => templateStrategy.databaseTopology('home', 'hall')).to.throw(
      DecodeError,
      'no HTTP addressing',
    );
  });

  it('refuses an app without a template (a programming error caught as a DecodeError)', () => {
    expect(() => templateStrategy.topicToTopology('a/b', { realm: 'home' })).to.throw(
      DecodeError,
      'no topic template',
    );
  });
});
