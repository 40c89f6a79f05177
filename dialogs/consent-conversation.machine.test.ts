import type { AnyStateNode } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import {
  consentConversationMachine,
  type ConsentConversationContext,
} from './consent-conversation.machine.js';
import type { ConversationEvent, PurposeRef } from './events.js';
import type { ConversationOutput } from './outputs.js';
import { openQuestionOf, runConversation, type ConversationStep } from './run-conversation.js';

const newsletter: PurposeRef = { id: 'newsletter', explicit: false, needsAddress: false };
const analytics: PurposeRef = { id: 'analytics', explicit: false, needsAddress: false };
const partners: PurposeRef = { id: 'partner-sharing', explicit: false, needsAddress: false };
const location: PurposeRef = { id: 'location', explicit: true, needsAddress: false };

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
const hesitated = { type: 'user.hesitated' } as const;
const continued = { type: 'user.continued' } as const;
const withdrewAll = { type: 'user.withdrew', purposeIds: 'all' } as const;

const ask = (
  purposeId: string,
  brief: boolean,
  step: 'question' | 'explicit' | 'address' = 'question',
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
    expect(first.state).toBe('flow.collecting.asking');
    expect(openQuestionOf(first.snapshot)).toEqual({ purposeId: 'newsletter', step: 'question' });
  });

  it('records nothing when the conversation starts (nothing pre-selected)', () => {
    expect(records(turn(undefined, started([newsletter, location, analytics])))).toEqual([]);
    expect(records(turn(undefined, started([location], true)))).toEqual([]);
  });

  it.each([
    agreed,
    agreedExplicitly,
    refused,
    greeted,
    unclear,
    continued,
    { type: 'user.gaveAddress', email: 'jane@example.com' } as const,
    { type: 'user.confirmedErasure' } as const,
  ])('takes a first message $type as no decision: it only opens the round', (message) => {
    const opened = turn(undefined, { ...started([newsletter, analytics]), message });
    expect(opened.outputs).toEqual(turn(undefined, started([newsletter, analytics])).outputs);
    expect(opened.state).toBe('flow.collecting.asking');
  });

  it.each([
    { type: 'user.asked', topic: 'retention' } as const,
    { type: 'user.showedChoices' } as const,
    { type: 'user.switchedLocale', locale: 'fr' } as const,
    { type: 'user.helped' } as const,
    { type: 'user.changing', purposes: [analytics] } as const,
    { type: 'user.restarted', purposes: [analytics] } as const,
  ])('answers a first message $type right after the welcome', (message) => {
    const opened = turn(undefined, { ...started([newsletter, analytics]), message });
    const inTwo = turn(undefined, started([newsletter, analytics]), message);
    expect(opened.outputs).toEqual(inTwo.outputs);
    expect(opened.outputs[0]).toEqual(say('welcome.new'));
    expect(opened.state).toBe(inTwo.state);
  });

  it.each([
    [{ type: 'user.askedReceipt' } as const, [{ type: 'receipt' }], 'flow.idle'],
    [{ type: 'user.askedHuman' } as const, [{ type: 'handoff', reason: 'requested' }], 'flow.idle'],
    [{ type: 'user.askedExport' } as const, [{ type: 'export' }], 'flow.idle'],
    [{ type: 'user.askedErasure' } as const, [{ type: 'askErasure' }], 'confirmingErasure'],
  ])('answers a first message %o without a round of questions first', (message, outputs, state) => {
    const opened = turn(undefined, { ...started([newsletter]), message });
    expect(opened.outputs).toEqual(outputs);
    expect(opened.state).toBe(state);
  });

  it('asks the purposes one at a time, in order (one consent per purpose)', () => {
    let step = turn(undefined, started([newsletter, analytics, partners]));
    const asked: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const asks = step.outputs.filter((o) => o.type === 'ask');
      expect(asks).toHaveLength(1);
      asked.push(asks[0]!.purposeId);
      step = turn(step, agreed);
    }
    expect(asked).toEqual(['newsletter', 'analytics', 'partner-sharing']);
    expect(step.state).toBe('flow.done');
  });

  it('records a yes for the purpose being asked only, then asks the next', () => {
    const step = turn(turn(undefined, started([newsletter, analytics])), agreed);

    expect(step.outputs).toEqual([given('newsletter'), ask('analytics', false)]);
    expect(step.state).toBe('flow.collecting.asking');
  });

  it('records a no and moves on: refusing one never blocks the next (recital 43)', () => {
    const afterNo = turn(turn(undefined, started([newsletter, analytics])), refused);
    expect(afterNo.outputs).toEqual([refusal('newsletter'), ask('analytics', false)]);

    const afterYes = turn(afterNo, agreed);
    expect(afterYes.outputs).toEqual([given('analytics'), ...summary()]);
    expect(afterYes.state).toBe('flow.done');
  });

  it.each([
    [greeted, say('greeting.reply')],
    [hesitated, say('purpose.hesitation')],
    [unclear, say('help.duringQuestion')],
  ] as const)(
    '%o during a question records nothing, answers it, and re-asks briefly (no silent yes)',
    (event, reply) => {
      const asking = turn(undefined, started([newsletter, analytics]));
      const step = turn(asking, event);

      expect(step.outputs).toEqual([reply, ask('newsletter', true)]);
      expect(step.state).toBe('flow.collecting.asking');
      // The question is still open: the next yes is for the same purpose.
      expect(turn(step, agreed).outputs[0]).toEqual(given('newsletter'));
    },
  );

  it('takes hesitation before an express statement as no decision either', () => {
    const confirming = turn(turn(undefined, started([location])), agreed);
    const step = turn(confirming, hesitated);
    expect(step.outputs).toEqual([say('purpose.hesitation'), ask('location', true, 'explicit')]);
    expect(step.outputs.some((o) => o.type === 'record')).toBe(false);
    expect(turn(step, agreedExplicitly).outputs[0]).toEqual(given('location', true));
  });

  it('greets back and asks again, however many times the person says hello or thanks', () => {
    let step = turn(undefined, started([newsletter]));
    for (let i = 0; i < 4; i++) {
      step = turn(step, greeted);
      expect(step.outputs).toEqual([say('greeting.reply'), ask('newsletter', true)]);
    }
    expect(step.state).toBe('flow.collecting.asking');
  });

  it('asks for an express statement after a plain yes to an explicit purpose', () => {
    const asking = turn(undefined, started([location, newsletter]));
    expect(asking.outputs).toEqual([say('welcome.new'), ask('location', false)]);

    const confirming = turn(asking, agreed);
    expect(confirming.state).toBe('flow.collecting.confirmingExplicitly');
    expect(confirming.outputs).toEqual([ask('location', false, 'explicit')]);

    const again = turn(confirming, agreed);
    expect(again.state).toBe('flow.collecting.confirmingExplicitly');
    expect(again.outputs).toEqual([
      say('explicit.needStatement'),
      ask('location', true, 'explicit'),
    ]);

    const stated = turn(again, agreedExplicitly);
    expect(stated.outputs).toEqual([given('location', true), ask('newsletter', false)]);
    expect(stated.state).toBe('flow.collecting.asking');
  });

  it('records an express statement given straight away to an explicit purpose', () => {
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
    expect(later.state).toBe('flow.done');
    expect(records(skipped)).toEqual([]);
    expect(records(later)).toEqual([]);
  });

  it.each([
    [{ type: 'user.asked', topic: 'retention' }, 'newsletter'],
    [{ type: 'user.asked', topic: 'why' }, 'newsletter'],
    [{ type: 'user.asked', topic: 'collect' }, null],
    [{ type: 'user.asked', topic: 'collect', purposeId: 'location' }, 'location'],
    [{ type: 'user.asked', topic: 'retention', purposeId: 'analytics' }, 'analytics'],
  ] as const)('answers %j about %s, then re-asks briefly', (event, about) => {
    const asking = turn(undefined, started([newsletter, analytics]));
    const step = turn(asking, event);

    expect(step.outputs).toEqual([
      { type: 'answer', topic: event.topic, purposeId: about },
      ask('newsletter', true),
    ]);
    expect(step.state).toBe('flow.collecting.asking');
  });

  it('answers a question while waiting for an express statement and stays there', () => {
    const confirming = turn(turn(undefined, started([location])), agreed);
    const step = turn(confirming, { type: 'user.asked', topic: 'recipients' });

    expect(step.outputs).toEqual([
      { type: 'answer', topic: 'recipients', purposeId: 'location' },
      ask('location', true, 'explicit'),
    ]);
    expect(step.state).toBe('flow.collecting.confirmingExplicitly');
  });

  it('answers a question after the choices without asking anything', () => {
    const done = turn(undefined, started([newsletter]), refused);
    expect(done.state).toBe('flow.done');

    const step = turn(done, { type: 'user.asked', topic: 'retention' });
    expect(step.outputs).toEqual([{ type: 'answer', topic: 'retention', purposeId: null }]);
    expect(step.state).toBe('flow.done');
  });

  it('says the language changed and re-asks the open question', () => {
    const asking = turn(undefined, started([newsletter]));
    const step = turn(asking, { type: 'user.switchedLocale', locale: 'fr' });

    expect(step.outputs).toEqual([say('language.switched'), ask('newsletter', true)]);
    expect(step.state).toBe('flow.collecting.asking');
  });

  it('sums up after the last purpose and tells how to change', () => {
    const step = turn(turn(undefined, started([newsletter])), agreed);

    expect(step.outputs).toEqual([given('newsletter'), ...summary()]);
    expect(step.state).toBe('flow.done');
    expect(openQuestionOf(step.snapshot)).toBeNull();
  });

  it('asks a purpose again on request from the summary, then sums up again', () => {
    const done = turn(undefined, started([newsletter, analytics]), refused, agreed);
    expect(done.state).toBe('flow.done');

    const asking = turn(done, { type: 'user.changing', purposes: [newsletter] });
    expect(asking.outputs).toEqual([ask('newsletter', false)]);
    expect(asking.state).toBe('flow.collecting.asking');

    const back = turn(asking, agreed);
    expect(back.outputs).toEqual([given('newsletter'), ...summary()]);
    expect(back.state).toBe('flow.done');
  });

  it('asks which purpose when a change names none', () => {
    const done = turn(undefined, started([newsletter]), agreed);
    const fromDone = turn(done, { type: 'user.changing', purposes: [] });
    expect(fromDone.outputs).toEqual([say('change.which')]);
    expect(fromDone.state).toBe('flow.done');

    const asking = turn(undefined, started([newsletter]));
    const fromQuestion = turn(asking, { type: 'user.changing', purposes: [] });
    expect(fromQuestion.outputs).toEqual([say('change.which'), ask('newsletter', true)]);
    expect(fromQuestion.state).toBe('flow.collecting.asking');
  });

  it('says there is nothing to ask when no purpose needs an answer', () => {
    const step = turn(undefined, started([]));

    expect(step.outputs).toEqual([say('welcome.new'), say('welcome.nothingToAsk')]);
    expect(step.state).toBe('flow.done');
  });

  it('welcomes a returning person back, saying choices are open only when some are', () => {
    expect(turn(undefined, started([newsletter], true)).outputs).toEqual([
      say('welcome.back'),
      ask('newsletter', false),
    ]);
    expect(turn(undefined, started([], true)).outputs).toEqual([
      say('welcome.backAllMade'),
      say('welcome.nothingToAsk'),
    ]);
  });

  const everyState: readonly (readonly [string, () => ConversationStep | undefined])[] = [
    ['flow.idle', () => undefined],
    ['flow.collecting.asking', () => turn(undefined, started([newsletter, location]))],
    ['flow.collecting.confirmingExplicitly', () => turn(undefined, started([location]), agreed)],
    ['flow.done', () => turn(undefined, started([newsletter]), agreed)],
    ['flow.stopped', () => turn(undefined, started([newsletter]), withdrewAll)],
    [
      'confirmingErasure',
      () => turn(undefined, started([newsletter]), { type: 'user.askedErasure' }),
    ],
  ];
  it.each(everyState)(
    'stops without a word on a full withdrawal from %s (art. 7(3))',
    (from, reach) => {
      const before = reach();
      expect(before?.state ?? 'flow.idle').toBe(from);

      const step = turn(before, withdrewAll);
      expect(step.outputs).toEqual([]);
      expect(step.state).toBe('flow.stopped');
      expect(openQuestionOf(step.snapshot)).toBeNull();
    },
  );

  it('stops on a partial withdrawal mid-round, then resumes without the withdrawn purpose', () => {
    const asking = turn(undefined, started([newsletter, analytics, partners]), agreed);
    expect(openQuestionOf(asking.snapshot)?.purposeId).toBe('analytics');

    const stopped = turn(asking, { type: 'user.withdrew', purposeIds: ['analytics'] });
    expect(stopped.outputs).toEqual([]);
    expect(stopped.state).toBe('flow.stopped');

    const resumed = turn(stopped, continued);
    expect(resumed.outputs).toEqual([ask('partner-sharing', false)]);
    expect(resumed.state).toBe('flow.collecting.asking');

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
    'after a stop, $type only reminds how to go on and records nothing',
    (event) => {
      const all = turn(undefined, started([newsletter, analytics]), withdrewAll);
      expect(turn(all, event).outputs).toEqual([say('stopped.reminder')]);

      const partial = turn(undefined, started([newsletter, analytics]), {
        type: 'user.withdrew',
        purposeIds: ['newsletter'],
      });
      const step = turn(partial, event);
      expect(step.outputs).toEqual([say('stopped.reminderResumable')]);
      expect(step.state).toBe('flow.stopped');
    },
  );

  it('has nothing to resume after a full withdrawal', () => {
    const stopped = turn(undefined, started([newsletter, analytics]), withdrewAll);
    const step = turn(stopped, continued);

    expect(step.outputs).toEqual([say('stopped.nothingToResume')]);
    expect(step.state).toBe('flow.stopped');
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
    expect(step.state).toBe('flow.collecting.asking');

    const done = turn(step, refused, refused);
    // A fresh round: what was postponed before the stop is forgotten.
    expect(done.outputs.at(-2)).toEqual({ type: 'summary', postponed: [] });
  });
});

describe('consent conversation: every state, by shortest paths', () => {
  const byMail: PurposeRef = { id: 'newsletter', explicit: false, needsAddress: true };
  const samples: readonly ConversationEvent[] = [
    started([byMail, location]),
    { type: 'user.gaveAddress', email: 'jane@example.com' },
    { type: 'user.askedErasure' },
    { type: 'user.confirmedErasure' },
    { type: 'user.cancelledErasure' },
    { type: 'user.askedExport' },
    { type: 'user.gaveReason', reason: 'too-many-messages' },
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
    { type: 'user.askedReceipt' },
    { type: 'user.askedHuman' },
    { type: 'human.accepted' },
    { type: 'human.completed' },
  ];

  const paths = getShortestPaths(consentConversationMachine, {
    events: samples,
    // `postponed` only feeds the summary and grows each time a purpose is put off again, so it is
    // left out of what makes two states different; the graph stays finite.
    serializeState: (snapshot) =>
      JSON.stringify([
        snapshot.value,
        snapshot.context.queue,
        snapshot.context.prompt,
        snapshot.context.whyAsked,
      ]),
    limit: 5_000,
  });
  const eventsOf = (path: (typeof paths)[number]): ConversationEvent[] =>
    path.steps.map((s) => s.event).filter((e) => (e.type as string) !== 'xstate.init');

  /** Leaf states of the machine, dotted, and which of them are left at once by `always`. */
  function leaves(node: AnyStateNode, prefix = ''): { name: string; transient: boolean }[] {
    return Object.entries(node.states).flatMap(([key, child]) => {
      const name = prefix + key;
      // A history pseudo-state is never rested in: entering it enters the state it remembers.
      if (child.type === 'history') return [];
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
    ).toEqual(['flow.collecting.choosing', 'flow.summary']);
    expect([...resting].sort()).toEqual([
      'confirmingErasure',
      'flow.collecting.asking',
      'flow.collecting.collectingAddress',
      'flow.collecting.confirmingExplicitly',
      'flow.done',
      'flow.idle',
      'flow.stopped',
    ]);

    const reached = new Set(paths.map((path) => runConversation(undefined, eventsOf(path)).state));
    expect([...reached].sort()).toEqual([...resting].sort());
    expect(reached.has('summary')).toBe(false);
    expect(reached.has('flow.collecting.choosing')).toBe(false);
  });

  it('stops without a word after every shortest path (art. 7(3))', () => {
    expect(paths.length).toBeGreaterThan(resting.length);
    for (const path of paths) {
      const before = runConversation(undefined, eventsOf(path));
      const after = runConversation(before.snapshot, [withdrewAll]);
      expect(after, JSON.stringify(eventsOf(path))).toMatchObject({
        state: 'flow.stopped',
        outputs: [],
      });
    }
  });

  it('records a yes only right after the person said yes', () => {
    // An address is only asked for after a yes (collectingAddress is entered from 'user.agreed'
    // alone), so giving it completes that yes.
    const agreeing = new Set<ConversationEvent['type']>([
      'user.agreed',
      'user.agreedExplicitly',
      'user.gaveAddress',
    ]);
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
      'user.gaveAddress false',
    ]);
  });
});

describe('consent conversation: e-mail purposes, rights and leaving', () => {
  const byMail: PurposeRef = { id: 'newsletter', explicit: false, needsAddress: true };
  const gave = (email: string) => ({ type: 'user.gaveAddress', email }) as const;

  it('asks for an address after a yes to an e-mail purpose, and records nothing until given', () => {
    const first = turn(undefined, started([byMail, analytics]));
    const yes = turn(first, agreed);
    expect(yes.state).toBe('flow.collecting.collectingAddress');
    expect(records(yes)).toEqual([]);
    expect(yes.outputs).toEqual([
      { type: 'ask', purposeId: 'newsletter', step: 'address', brief: false },
    ]);
    const address = turn(yes, gave('jane@example.com'));
    expect(records(address)).toEqual([
      {
        type: 'record',
        purposeId: 'newsletter',
        decision: 'given',
        explicit: false,
        address: 'jane@example.com',
      },
    ]);
    expect(address.state).toBe('flow.collecting.asking');
  });

  it('takes no for an answer to the address: nothing recorded, the purpose is left for later', () => {
    const yes = turn(turn(undefined, started([byMail, analytics])), agreed);
    const no = turn(yes, refused);
    expect(records(no)).toEqual([]);
    expect(no.outputs[0]).toEqual(say('address.notGiven'));
    const rest = turn(no, refused);
    expect(rest.outputs).toContainEqual({ type: 'summary', postponed: ['newsletter'] });
  });

  it('asks again for an address when the answer is not one', () => {
    const yes = turn(turn(undefined, started([byMail])), agreed);
    const wrong = turn(yes, unclear);
    expect(wrong.outputs).toEqual([
      say('address.invalid'),
      { type: 'ask', purposeId: 'newsletter', step: 'address', brief: true },
    ]);
    expect(records(wrong)).toEqual([]);
  });

  it('confirms an erasure first, and a "no" goes back to the open question', () => {
    const asking = turn(turn(undefined, started([newsletter, analytics])), agreed);
    const request = turn(asking, { type: 'user.askedErasure' });
    expect(request.state).toBe('confirmingErasure');
    expect(request.outputs).toEqual([{ type: 'askErasure' }]);
    const cancelled = turn(request, { type: 'user.cancelledErasure' });
    expect(cancelled.outputs[0]).toEqual(say('erasure.cancelled'));
    expect(cancelled.state).toBe('flow.collecting.asking');
    expect(openQuestionOf(cancelled.snapshot)).toEqual({
      purposeId: 'analytics',
      step: 'question',
    });
  });

  it('erases on confirmation, and then asks nothing more', () => {
    const request = turn(turn(undefined, started([newsletter, analytics])), {
      type: 'user.askedErasure',
    });
    const erased = turn(request, { type: 'user.confirmedErasure' });
    expect(erased.outputs).toEqual([{ type: 'erase' }]);
    expect(erased.state).toBe('flow.stopped');
    expect(turn(erased, continued).outputs).toEqual([say('stopped.nothingToResume')]);
  });

  it('answers "what do you have on me?" from any state and goes back to the question', () => {
    const first = turn(undefined, started([newsletter]));
    const exported = turn(first, { type: 'user.askedExport' });
    expect(exported.outputs).toEqual([{ type: 'export' }, ask('newsletter', true)]);
  });

  it('takes one reason after a full stop, without asking again', () => {
    const stopped = turn(turn(undefined, started([newsletter])), withdrewAll);
    const reason = { type: 'user.gaveReason', reason: 'privacy-worries' } as const;
    const answered = turn(stopped, reason);
    expect(answered.outputs).toEqual([
      { type: 'reason', reason: 'privacy-worries' },
      say('optOut.reasonThanks'),
    ]);
    expect(turn(answered, reason).outputs).toEqual([say('stopped.reminder')]);
    // Ignored, the question is never followed up.
    const ignored = turn(turn(stopped, greeted), reason);
    expect(ignored.outputs).toEqual([say('stopped.reminder')]);
  });

  it('treats what a state does not expect as unclear, never as silence', () => {
    const done = turn(turn(undefined, started([newsletter])), refused);
    expect(turn(done, gave('jane@example.com')).outputs).toEqual([say('help.afterChoices')]);
    const asking = turn(undefined, started([newsletter]));
    const stray = turn(asking, { type: 'user.confirmedErasure' });
    expect(stray.outputs).toEqual([say('help.duringQuestion'), ask('newsletter', true)]);
  });
});

describe('hand-offs', () => {
  const askedHuman = { type: 'user.askedHuman' } as const;
  const handedOver = (
    purposes: readonly PurposeRef[],
    topic: 'consent' | 'data-map' | 'receipt' = 'consent',
  ) => ({ type: 'agent.handedOver', handoffId: 'h-1', topic, purposes }) as const;
  const done = (purposeIds: string[], ending: 'finished' | 'stopped' | 'erased') => ({
    type: 'handoffDone' as const,
    handoffId: 'h-1',
    purposeIds,
    ending,
  });

  it('hands over to a person when asked, keeps the question open, and ignores messages meanwhile', () => {
    const asking = turn(undefined, started([newsletter, analytics]));
    const handed = turn(asking, askedHuman);
    expect(handed.outputs).toEqual([{ type: 'handoff', reason: 'requested' }]);
    expect(handed.state).toBe('flow.collecting.asking');
    for (const event of [agreed, unclear, askedHuman, { type: 'user.askedReceipt' } as const]) {
      const quiet = turn(handed, event);
      expect(quiet.outputs).toEqual([]);
      expect(records(quiet)).toEqual([]);
    }
    expect(turn(handed, { type: 'human.accepted' }).outputs).toEqual([]);
    const back = turn(turn(handed, { type: 'human.accepted' }), { type: 'human.completed' });
    expect(back.outputs).toEqual([say('handoff.humanDone'), ask('newsletter', true)]);
    expect(turn(back, agreed).outputs).toEqual([given('newsletter'), ask('analytics', false)]);
  });

  it('goes on where it was when no one could take the conversation', () => {
    const handed = turn(turn(undefined, started([newsletter])), askedHuman);
    const failed = turn(handed, { type: 'human.failed' });
    expect(failed.outputs).toEqual([say('handoff.noOneAvailable'), ask('newsletter', true)]);
    // A status with no hand-off going on changes nothing, and is not "unclear" either.
    expect(turn(failed, { type: 'human.completed' }).outputs).toEqual([]);
  });

  it('takes the request back on "continue" until a person has accepted, not after', () => {
    const handed = turn(turn(undefined, started([newsletter])), askedHuman);
    expect(turn(handed, continued).outputs).toEqual([
      say('handoff.stoppedWaiting'),
      ask('newsletter', true),
    ]);
    const accepted = turn(handed, { type: 'human.accepted' });
    expect(turn(accepted, continued).outputs).toEqual([]);
    // A late acceptance after the customer stopped waiting changes nothing.
    const late = turn(turn(handed, continued), { type: 'human.accepted' });
    expect(turn(late, agreed).outputs).toEqual([given('newsletter'), ...summary()]);
  });

  it('counts unclear answers in a conversation saved before hand-offs existed', () => {
    const asking = turn(undefined, started([newsletter]));
    const {
      unclearTries: _u,
      withHuman: _w,
      agentHandoff: _a,
      ...older
    } = (asking.snapshot as unknown as { context: ConsentConversationContext }).context;
    const saved = { ...asking, snapshot: { ...asking.snapshot, context: older } };
    const once = turn(saved, unclear);
    expect(once.outputs[0]).toEqual(say('help.duringQuestion'));
    expect(turn(once, unclear).outputs).toContainEqual(say('help.reachPerson'));
  });

  it('obeys a stop while a person has the conversation, and stays quiet afterwards', () => {
    const handed = turn(turn(undefined, started([newsletter])), askedHuman);
    const stopped = turn(handed, withdrewAll);
    expect(stopped).toMatchObject({ state: 'flow.stopped', outputs: [] });
    expect(turn(stopped, greeted).outputs).toEqual([]);
    const back = turn(stopped, { type: 'human.completed' });
    expect(back.outputs).toEqual([say('handoff.humanDone')]);
    expect(turn(back, greeted).outputs).toEqual([say('stopped.reminder')]);
  });

  it('never hands over on its own: after unclear answers it says how to reach a person', () => {
    const asking = turn(undefined, started([newsletter]));
    const once = turn(asking, unclear);
    expect(once.outputs).toEqual([say('help.duringQuestion'), ask('newsletter', true)]);
    const twice = turn(once, unclear);
    expect(twice.outputs).toEqual([
      say('help.duringQuestion'),
      say('help.reachPerson'),
      ask('newsletter', true),
    ]);
    // Still the bot's conversation: no hand-off, the question open, the next yes recorded.
    const thrice = turn(twice, unclear);
    expect(thrice.outputs.some((o) => o.type === 'handoff')).toBe(false);
    expect(thrice.outputs).toContainEqual(say('help.reachPerson'));
    expect(turn(thrice, agreed).outputs[0]).toEqual(given('newsletter'));
    // A person only when asked for.
    expect(turn(thrice, askedHuman).outputs).toEqual([{ type: 'handoff', reason: 'requested' }]);
    // Not in a row: a question answered in between starts the count again.
    const between = turn(once, { type: 'user.asked', topic: 'retention' });
    expect(turn(between, unclear).outputs).not.toContainEqual(say('help.reachPerson'));
    // Nor for the next question: each question gets its own count.
    const next = turn(turn(turn(undefined, started([newsletter, analytics])), unclear), refused);
    expect(turn(next, unclear).outputs).not.toContainEqual(say('help.reachPerson'));
  });

  it('counts unclear e-mail addresses too, and never hands over for them', () => {
    const byMail: PurposeRef = { id: 'newsletter', explicit: false, needsAddress: true };
    const address = turn(turn(undefined, started([byMail])), agreed);
    const wrong = turn(address, unclear);
    expect(wrong.outputs[0]).toEqual(say('address.invalid'));
    expect(turn(wrong, unclear).outputs).toEqual([
      say('address.invalid'),
      say('help.reachPerson'),
      ask('newsletter', true, 'address'),
    ]);
  });

  it('answers "my receipt" from any state and goes back to the question', () => {
    const asking = turn(undefined, started([newsletter]));
    expect(turn(asking, { type: 'user.askedReceipt' }).outputs).toEqual([
      { type: 'receipt' },
      ask('newsletter', true),
    ]);
    expect(turn(undefined, { type: 'user.askedReceipt' }).outputs).toEqual([{ type: 'receipt' }]);
  });

  it("asks only the agent's purposes, nothing recorded, and reports when the round ends", () => {
    const handed = turn(undefined, handedOver([analytics, partners]));
    expect(handed.outputs).toEqual([say('handoff.fromAgent'), ask('analytics', false)]);
    expect(records(handed)).toEqual([]);
    const first = turn(handed, agreed);
    expect(first.outputs).toEqual([given('analytics'), ask('partner-sharing', false)]);
    const last = turn(first, refused);
    expect(last.outputs).toEqual([
      refusal('partner-sharing'),
      ...summary(),
      done(['analytics', 'partner-sharing'], 'finished'),
    ]);
    // Reported once: a later round is the person's own.
    const again = turn(last, { type: 'user.restarted', purposes: [newsletter] });
    expect(turn(again, refused).outputs.some((o) => o.type === 'handoffDone')).toBe(false);
  });

  it('reports a stop or an erasure as the end of the hand-off', () => {
    const handed = turn(turn(undefined, started([newsletter])), handedOver([analytics]));
    expect(turn(handed, withdrewAll).outputs).toEqual([done(['analytics'], 'stopped')]);
    const erasing = turn(handed, { type: 'user.askedErasure' });
    expect(turn(erasing, { type: 'user.confirmedErasure' }).outputs).toEqual([
      { type: 'erase' },
      done(['analytics'], 'erased'),
    ]);
  });

  it('serves the data map or the receipts when the agent asks for them, then reports', () => {
    expect(turn(undefined, handedOver([], 'data-map')).outputs).toEqual([
      say('handoff.fromAgent'),
      { type: 'answer', topic: 'collect', purposeId: null },
      done([], 'finished'),
    ]);
    const receipt = turn(undefined, handedOver([newsletter], 'receipt'));
    expect(receipt.outputs).toEqual([
      say('handoff.fromAgent'),
      { type: 'receipt' },
      ask('newsletter', false),
    ]);
  });

  it('takes the conversation back from a person when an agent hands it to the bot', () => {
    const handed = turn(turn(undefined, started([newsletter])), askedHuman);
    const back = turn(handed, handedOver([analytics]));
    expect(back.outputs).toEqual([say('handoff.fromAgent'), ask('analytics', false)]);
    expect(turn(back, agreed).outputs[0]).toEqual(given('analytics'));
  });
});
