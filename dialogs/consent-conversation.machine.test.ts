import type { AnyStateNode } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { consentConversationMachine } from './consent-conversation.machine.js';
import type { ConversationEvent, PurposeRef } from './events.js';
import type { ConversationOutput } from './outputs.js';
import { openQuestionOf, runConversation, type ConversationStep } from './run-conversation.js';

const newsletter: PurposeRef = { id: 'newsletter', explicit: false };
const analytics: PurposeRef = { id: 'analytics', explicit: false };
const partners: PurposeRef = { id: 'partner-sharing', explicit: false };
const location: PurposeRef = { id: 'location', explicit: true };

const started = (
  purposes: readonly PurposeRef[],
  returning = false,
): Extract<ConversationEvent, { type: 'conversation.started' }> => ({
  type: 'conversation.started',
  purposes,
  returning,
});
const agreed = { type: 'user.agreed' } as const;
const agreedExplicitly = { type: 'user.agreedExplicitly' } as const;
const refused = { type: 'user.refused' } as const;
const greeted = { type: 'user.greeted' } as const;
const unclear = { type: 'user.unclear' } as const;
const continued = { type: 'user.continued' } as const;
const withdrewAll = { type: 'user.withdrew', purposeIds: 'all' } as const;

const ask = (
  purposeId: string,
  brief: boolean,
  step: 'question' | 'explicit' = 'question',
): ConversationOutput => ({ type: 'ask', purposeId, step, brief });
const say = (key: Extract<ConversationOutput, { type: 'say' }>['key']): ConversationOutput => ({
  type: 'say',
  key,
});
const given = (purposeId: string, explicit = false): ConversationOutput => ({
  type: 'record',
  purposeId,
  decision: 'given',
  explicit,
});
const refusal = (purposeId: string): ConversationOutput => ({
  type: 'record',
  purposeId,
  decision: 'refused',
  explicit: false,
});
const summary = (postponed: readonly string[] = []): ConversationOutput[] => [
  { type: 'summary', postponed },
  say('summary.howToChange'),
];

/** One turn: the events of this turn, from where the previous turn left the conversation. */
function turn(
  previous: ConversationStep | undefined,
  ...events: ConversationEvent[]
): ConversationStep {
  return runConversation(previous?.snapshot, events);
}

const records = (step: ConversationStep) => step.outputs.filter((o) => o.type === 'record');

describe('consent conversation: one rule at a time', () => {
  it('welcomes, then asks the first purpose in full, and records nothing', () => {
    const first = turn(undefined, started([newsletter, analytics]));

    expect(first.outputs).toEqual([say('welcome.new'), ask('newsletter', false)]);
    expect(first.state).toBe('collecting.asking');
    expect(openQuestionOf(first.snapshot)).toEqual({ purposeId: 'newsletter', explicit: false });
  });

  it('records nothing when the conversation starts (rule 1: nothing pre-selected)', () => {
    expect(records(turn(undefined, started([newsletter, location, analytics])))).toEqual([]);
    expect(records(turn(undefined, started([location], true)))).toEqual([]);
  });

  it('asks the purposes one at a time, in order (rule 2)', () => {
    let step = turn(undefined, started([newsletter, analytics, partners]));
    const asked: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const asks = step.outputs.filter((o) => o.type === 'ask');
      expect(asks).toHaveLength(1);
      asked.push(asks[0]!.purposeId);
      step = turn(step, agreed);
    }
    expect(asked).toEqual(['newsletter', 'analytics', 'partner-sharing']);
    expect(step.state).toBe('done');
  });

  it('records a yes for the purpose being asked only, then asks the next', () => {
    const step = turn(turn(undefined, started([newsletter, analytics])), agreed);

    expect(step.outputs).toEqual([given('newsletter'), ask('analytics', false)]);
    expect(step.state).toBe('collecting.asking');
  });

  it('records a no and moves on: refusing one never blocks the next (rule 2)', () => {
    const afterNo = turn(turn(undefined, started([newsletter, analytics])), refused);
    expect(afterNo.outputs).toEqual([refusal('newsletter'), ask('analytics', false)]);

    const afterYes = turn(afterNo, agreed);
    expect(afterYes.outputs).toEqual([given('analytics'), ...summary()]);
    expect(afterYes.state).toBe('done');
  });

  it.each([greeted, unclear])(
    '$type during a question records nothing, helps, and re-asks briefly (rule 1)',
    (event) => {
      const asking = turn(undefined, started([newsletter, analytics]));
      const step = turn(asking, event);

      expect(step.outputs).toEqual([say('help.duringQuestion'), ask('newsletter', true)]);
      expect(step.state).toBe('collecting.asking');
      // The question is still open: the next yes is for the same purpose.
      expect(turn(step, agreed).outputs[0]).toEqual(given('newsletter'));
    },
  );

  it('asks for an express statement after a plain yes to an explicit purpose (rule 4)', () => {
    const asking = turn(undefined, started([location, newsletter]));
    expect(asking.outputs).toEqual([say('welcome.new'), ask('location', false)]);

    const confirming = turn(asking, agreed);
    expect(confirming.state).toBe('collecting.confirmingExplicitly');
    expect(confirming.outputs).toEqual([ask('location', false, 'explicit')]);

    const again = turn(confirming, agreed);
    expect(again.state).toBe('collecting.confirmingExplicitly');
    expect(again.outputs).toEqual([
      say('explicit.needStatement'),
      ask('location', true, 'explicit'),
    ]);

    const stated = turn(again, agreedExplicitly);
    expect(stated.outputs).toEqual([given('location', true), ask('newsletter', false)]);
    expect(stated.state).toBe('collecting.asking');
  });

  it('records an express statement given straight away to an explicit purpose (rule 4)', () => {
    const step = turn(turn(undefined, started([location, newsletter])), agreedExplicitly);

    expect(step.outputs).toEqual([given('location', true), ask('newsletter', false)]);
  });

  it('takes a no while waiting for an express statement', () => {
    const confirming = turn(turn(undefined, started([location, newsletter])), agreed);

    expect(turn(confirming, refused).outputs).toEqual([
      refusal('location'),
      ask('newsletter', false),
    ]);
  });

  it('records nothing for skip or later, and lists them as postponed in the summary', () => {
    const skipped = turn(turn(undefined, started([newsletter, analytics])), {
      type: 'user.skipped',
    });
    expect(skipped.outputs).toEqual([say('purpose.skipped'), ask('analytics', false)]);

    const later = turn(skipped, { type: 'user.postponed' });
    expect(later.outputs).toEqual([
      say('purpose.postponed'),
      ...summary(['newsletter', 'analytics']),
    ]);
    expect(later.state).toBe('done');
    expect(records(skipped)).toEqual([]);
    expect(records(later)).toEqual([]);
  });

  it.each([
    [{ type: 'user.asked', topic: 'retention' }, 'newsletter'],
    [{ type: 'user.asked', topic: 'why' }, 'newsletter'],
    [{ type: 'user.asked', topic: 'collect' }, null],
    [{ type: 'user.asked', topic: 'collect', purposeId: 'location' }, 'location'],
    [{ type: 'user.asked', topic: 'retention', purposeId: 'analytics' }, 'analytics'],
  ] as const)('answers %j about %s, then re-asks briefly (rule 3)', (event, about) => {
    const asking = turn(undefined, started([newsletter, analytics]));
    const step = turn(asking, event);

    expect(step.outputs).toEqual([
      { type: 'answer', topic: event.topic, purposeId: about },
      ask('newsletter', true),
    ]);
    expect(step.state).toBe('collecting.asking');
  });

  it('answers a question while waiting for an express statement and stays there', () => {
    const confirming = turn(turn(undefined, started([location])), agreed);
    const step = turn(confirming, { type: 'user.asked', topic: 'recipients' });

    expect(step.outputs).toEqual([
      { type: 'answer', topic: 'recipients', purposeId: 'location' },
      ask('location', true, 'explicit'),
    ]);
    expect(step.state).toBe('collecting.confirmingExplicitly');
  });

  it('answers a question after the choices without asking anything', () => {
    const done = turn(undefined, started([newsletter]), refused);
    expect(done.state).toBe('done');

    const step = turn(done, { type: 'user.asked', topic: 'retention' });
    expect(step.outputs).toEqual([{ type: 'answer', topic: 'retention', purposeId: null }]);
    expect(step.state).toBe('done');
  });

  it('says the language changed and re-asks the open question', () => {
    const asking = turn(undefined, started([newsletter]));
    const step = turn(asking, { type: 'user.switchedLocale', locale: 'fr' });

    expect(step.outputs).toEqual([say('language.switched'), ask('newsletter', true)]);
    expect(step.state).toBe('collecting.asking');
  });

  it('sums up after the last purpose and tells how to change', () => {
    const step = turn(turn(undefined, started([newsletter])), agreed);

    expect(step.outputs).toEqual([given('newsletter'), ...summary()]);
    expect(step.state).toBe('done');
    expect(openQuestionOf(step.snapshot)).toBeNull();
  });

  it('asks a purpose again on request from the summary, then sums up again', () => {
    const done = turn(undefined, started([newsletter, analytics]), refused, agreed);
    expect(done.state).toBe('done');

    const asking = turn(done, { type: 'user.changing', purposes: [newsletter] });
    expect(asking.outputs).toEqual([ask('newsletter', false)]);
    expect(asking.state).toBe('collecting.asking');

    const back = turn(asking, agreed);
    expect(back.outputs).toEqual([given('newsletter'), ...summary()]);
    expect(back.state).toBe('done');
  });

  it('asks which purpose when a change names none', () => {
    const done = turn(undefined, started([newsletter]), agreed);
    const fromDone = turn(done, { type: 'user.changing', purposes: [] });
    expect(fromDone.outputs).toEqual([say('change.which')]);
    expect(fromDone.state).toBe('done');

    const asking = turn(undefined, started([newsletter]));
    const fromQuestion = turn(asking, { type: 'user.changing', purposes: [] });
    expect(fromQuestion.outputs).toEqual([say('change.which'), ask('newsletter', true)]);
    expect(fromQuestion.state).toBe('collecting.asking');
  });

  it('says there is nothing to ask when no purpose needs an answer', () => {
    const step = turn(undefined, started([]));

    expect(step.outputs).toEqual([say('welcome.new'), say('welcome.nothingToAsk')]);
    expect(step.state).toBe('done');
  });

  it('welcomes a returning person back', () => {
    expect(turn(undefined, started([newsletter], true)).outputs).toEqual([
      say('welcome.back'),
      ask('newsletter', false),
    ]);
    expect(turn(undefined, started([], true)).outputs).toEqual([
      say('welcome.back'),
      say('welcome.nothingToAsk'),
    ]);
  });

  const everyState: readonly (readonly [string, () => ConversationStep | undefined])[] = [
    ['idle', () => undefined],
    ['collecting.asking', () => turn(undefined, started([newsletter, location]))],
    ['collecting.confirmingExplicitly', () => turn(undefined, started([location]), agreed)],
    ['done', () => turn(undefined, started([newsletter]), agreed)],
    ['stopped', () => turn(undefined, started([newsletter]), withdrewAll)],
  ];
  it.each(everyState)(
    'stops without a word on a full withdrawal from %s (rules 6 and 7)',
    (from, reach) => {
      const before = reach();
      expect(before?.state ?? 'idle').toBe(from);

      const step = turn(before, withdrewAll);
      expect(step.outputs).toEqual([]);
      expect(step.state).toBe('stopped');
      expect(openQuestionOf(step.snapshot)).toBeNull();
    },
  );

  it('stops on a partial withdrawal mid-round, then resumes without the withdrawn purpose', () => {
    const asking = turn(undefined, started([newsletter, analytics, partners]), agreed);
    expect(openQuestionOf(asking.snapshot)?.purposeId).toBe('analytics');

    const stopped = turn(asking, { type: 'user.withdrew', purposeIds: ['analytics'] });
    expect(stopped.outputs).toEqual([]);
    expect(stopped.state).toBe('stopped');

    const resumed = turn(stopped, continued);
    expect(resumed.outputs).toEqual([ask('partner-sharing', false)]);
    expect(resumed.state).toBe('collecting.asking');

    const done = turn(resumed, agreed);
    expect(done.outputs).toEqual([given('partner-sharing'), ...summary()]);
  });

  it('never asks again a later purpose withdrawn mid-round', () => {
    const asking = turn(undefined, started([newsletter, analytics, partners]));
    const stopped = turn(asking, { type: 'user.withdrew', purposeIds: ['partner-sharing'] });
    expect(stopped.outputs).toEqual([]);

    const resumed = turn(stopped, continued);
    const second = turn(resumed, agreed);
    const last = turn(second, agreed);
    const asks = [resumed, second, last].flatMap((s) => s.outputs.filter((o) => o.type === 'ask'));
    expect(asks.map((o) => o.purposeId)).toEqual(['newsletter', 'analytics']);
    expect(last.outputs).toEqual([given('analytics'), ...summary()]);
  });

  it.each([greeted, agreed, agreedExplicitly, refused, unclear, { type: 'user.skipped' } as const])(
    'after a stop, $type only reminds how to go on and records nothing (rules 1 and 7)',
    (event) => {
      const all = turn(undefined, started([newsletter, analytics]), withdrewAll);
      expect(turn(all, event).outputs).toEqual([say('stopped.reminder')]);

      const partial = turn(undefined, started([newsletter, analytics]), {
        type: 'user.withdrew',
        purposeIds: ['newsletter'],
      });
      const step = turn(partial, event);
      expect(step.outputs).toEqual([say('stopped.reminderResumable')]);
      expect(step.state).toBe('stopped');
    },
  );

  it('has nothing to resume after a full withdrawal', () => {
    const stopped = turn(undefined, started([newsletter, analytics]), withdrewAll);
    const step = turn(stopped, continued);

    expect(step.outputs).toEqual([say('stopped.nothingToResume')]);
    expect(step.state).toBe('stopped');
  });

  it('starts a fresh round from the first purpose on START after a stop', () => {
    const stopped = turn(
      undefined,
      started([newsletter, analytics]),
      { type: 'user.skipped' },
      withdrewAll,
    );
    const step = turn(stopped, { type: 'user.restarted', purposes: [newsletter, analytics] });

    expect(step.outputs).toEqual([ask('newsletter', false)]);
    expect(step.state).toBe('collecting.asking');

    const done = turn(step, refused, refused);
    // A fresh round: what was postponed before the stop is forgotten.
    expect(done.outputs.at(-2)).toEqual({ type: 'summary', postponed: [] });
  });
});

describe('consent conversation: every state, by shortest paths', () => {
  const samples: readonly ConversationEvent[] = [
    started([newsletter, location]),
    { type: 'user.changing', purposes: [location] },
    { type: 'user.restarted', purposes: [newsletter, location] },
    withdrewAll,
    { type: 'user.withdrew', purposeIds: ['newsletter'] },
    { type: 'user.asked', topic: 'retention' },
    { type: 'user.switchedLocale', locale: 'fr' },
    agreed,
    agreedExplicitly,
    refused,
    { type: 'user.wantedDetails' },
    { type: 'user.skipped' },
    { type: 'user.postponed' },
    greeted,
    unclear,
    continued,
    { type: 'user.helped' },
    { type: 'user.showedChoices' },
  ];

  const paths = getShortestPaths(consentConversationMachine, {
    events: samples,
    // `postponed` only feeds the summary and grows each time a purpose is put off again, so it is
    // left out of what makes two states different; the graph stays finite.
    serializeState: (snapshot) =>
      JSON.stringify([snapshot.value, snapshot.context.queue, snapshot.context.prompt]),
    limit: 5_000,
  });
  const eventsOf = (path: (typeof paths)[number]): ConversationEvent[] =>
    path.steps.map((s) => s.event).filter((e) => (e.type as string) !== 'xstate.init');

  /** Leaf states of the machine, dotted, and which of them are left at once by `always`. */
  function leaves(node: AnyStateNode, prefix = ''): { name: string; transient: boolean }[] {
    return Object.entries(node.states).flatMap(([key, child]) => {
      const name = prefix + key;
      return Object.keys(child.states).length > 0
        ? leaves(child, `${name}.`)
        : [{ name, transient: (child.always?.length ?? 0) > 0 }];
    });
  }
  const all = leaves(consentConversationMachine.root);
  const resting = all.filter((s) => !s.transient).map((s) => s.name);

  it('reaches every resting state, and only those', () => {
    expect(
      all
        .filter((s) => s.transient)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['collecting.choosing', 'summary']);
    expect([...resting].sort()).toEqual([
      'collecting.asking',
      'collecting.confirmingExplicitly',
      'done',
      'idle',
      'stopped',
    ]);

    const reached = new Set(paths.map((path) => runConversation(undefined, eventsOf(path)).state));
    expect([...reached].sort()).toEqual([...resting].sort());
    expect(reached.has('summary')).toBe(false);
    expect(reached.has('collecting.choosing')).toBe(false);
  });

  it('stops without a word after every shortest path (rules 6 and 7)', () => {
    expect(paths.length).toBeGreaterThan(resting.length);
    for (const path of paths) {
      const before = runConversation(undefined, eventsOf(path));
      const after = runConversation(before.snapshot, [withdrewAll]);
      expect(after, JSON.stringify(eventsOf(path))).toMatchObject({
        state: 'stopped',
        outputs: [],
      });
    }
  });

  it('records a yes only right after the person said yes (rule 1)', () => {
    const agreeing = new Set<ConversationEvent['type']>(['user.agreed', 'user.agreedExplicitly']);
    const yeses = new Set<string>();
    const check = (event: ConversationEvent, step: ConversationStep, path: string) => {
      const recorded = records(step);
      expect(recorded.length, path).toBeLessThanOrEqual(1);
      for (const record of recorded) {
        if (record.decision === 'given') {
          yeses.add(`${event.type} ${String(record.explicit)}`);
          expect(agreeing.has(event.type), path).toBe(true);
        } else {
          expect(record, path).toMatchObject({ decision: 'refused', explicit: false });
          expect(event.type, path).toBe('user.refused');
        }
      }
    };
    for (const path of paths) {
      const events = eventsOf(path);
      let step: ConversationStep | undefined;
      for (const [i, event] of events.entries()) {
        step = turn(step, event);
        check(event, step, JSON.stringify(events.slice(0, i + 1)));
      }
      // Every edge leaving the state the path reaches, not only the edges of shortest paths.
      for (const event of samples) {
        check(event, turn(step, event), JSON.stringify([...events, event]));
      }
    }
    // Not vacuous: plain yeses and express statements both record, somewhere in the graph.
    expect([...yeses].sort()).toEqual([
      'user.agreed false',
      'user.agreedExplicitly false',
      'user.agreedExplicitly true',
    ]);
  });
});
