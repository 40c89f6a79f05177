import { ID_RULE, isId } from '../http/http-common.js';

/**
 * What POST /api/messages checks before the adapter sees an activity. JSON.parse takes any valid
 * JSON, but the SDK, the opt-out guard and the transcript logger then trust the Bot Framework
 * activity schema: `membersAdded: "x"` made botbuilder throw, and a `channelData` nested 6,000 deep
 * overflowed the call stack of JSON.stringify in the transcript logger, so a stop in that
 * activity was never recorded.
 *
 * Two rules:
 * - A field the bot or botbuilder reads (type, ids, text, locale, members, attachments, entities)
 *   with the wrong type is the channel's mistake: 400 INVALID_ACTIVITY naming the field.
 * - A payload nested deeper than MAX_NESTING is dropped, never the activity: `channelData`, `value`,
 *   `attachments`, `entities` and any field the schema does not name. The bot does not read
 *   channelData, and a stop in `text` must be recorded whatever else the activity carries; a
 *   `value` that deep is no payload the bot ever sent. The same holds for a `channelData` that is
 *   not an object, which the schema requires and nothing here reads.
 */

/** Deepest nesting of objects and arrays kept in a field: far above any card or channel data. */
export const MAX_NESTING = 64;
/** Most members in one conversationUpdate; Teams sends at most a few hundred per update. */
export const MAX_MEMBERS = 1000;
/** Longest locale tag: BCP 47 tags in use are far shorter. */
const MAX_LOCALE_CHARS = 100;

export type ActivityCheck =
  | { readonly ok: true; readonly dropped: readonly DroppedField[] }
  | { readonly ok: false; readonly problem: string };

export interface DroppedField {
  readonly field: string;
  readonly reason: 'too_deep' | 'not_an_object';
}

/** The activity schema's payload fields, which a log may name when one is dropped. */
export const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'channelData',
  'value',
  'attachments',
  'entities',
  'suggestedActions',
  'conversation',
  'relatesTo',
  'semanticAction',
  'textHighlights',
]);

/** Fields whose deep nesting is dropped rather than refused: nothing the turn needs is lost. */
const STRUCTURAL = new Set(['conversation', 'from', 'recipient', 'membersAdded', 'membersRemoved']);

/**
 * Whether a JSON value nests objects or arrays deeper than `max` (an object or array is one
 * level). Walked with an explicit stack, never by recursion: a hostile body must not be able to
 * overflow the call stack of the very check that guards against it.
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { node, depth } = top;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child !== null && typeof child === 'object')
        stack.push({ node: child, depth: depth + 1 });
    }
  }
  return false;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && !Array.isArray(value);

const text = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** A channel account: `{ id, name? }` with the id within the limit; `what` names it. */
function accountProblem(value: unknown, what: string, idRequired: boolean): string | undefined {
  if (!isObject(value)) return `${what} must be an object with an id`;
  if (value.id === undefined && !idRequired) return undefined;
  if (!text(value.id)) return `${what}.id is required`;
  if (!isId(value.id)) return `${what}.id must be ${ID_RULE}`;
  if (value.name !== undefined && value.name !== null && typeof value.name !== 'string') {
    return `${what}.name must be a string`;
  }
  return undefined;
}

function membersProblem(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return `${what} must be an array of { id }`;
  if (value.length > MAX_MEMBERS) return `${what} must hold at most ${MAX_MEMBERS} members`;
  for (const [index, member] of value.entries()) {
    const problem = accountProblem(member, `${what}[${index}]`, true);
    if (problem) return problem;
  }
  return undefined;
}

/** `attachments` and `entities`: arrays of objects, each with a string in `typeField` if any. */
function objectsProblem(value: unknown, what: string, typeField: string): string | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return `${what} must be an array of objects`;
  for (const [index, item] of value.entries()) {
    if (!isObject(item)) return `${what}[${index}] must be an object`;
    const type = item[typeField];
    if (type !== undefined && typeof type !== 'string') {
      return `${what}[${index}].${typeField} must be a string`;
    }
  }
  return undefined;
}

/** Fields that are strings when present (botbuilder calls string methods on them). */
const STRING_FIELDS = [
  'text',
  'speak',
  'name',
  'textFormat',
  'inputHint',
  'deliveryMode',
  'timestamp',
  'localTimestamp',
] as const;

/**
 * Checks `body` as a Bot Framework activity. When it passes, fields too deep to keep have been
 * deleted from `body` (and are listed in `dropped`); otherwise `problem` says what is wrong, in
 * terms of the activity's fields.
 */
export function checkActivity(body: unknown): ActivityCheck {
  const refuse = (problem: string): ActivityCheck => ({ ok: false, problem });
  if (!isObject(body)) return refuse('the body must be a JSON Bot Framework activity');
  const activity = body;
  if (!text(activity.type)) return refuse('activity.type is required');
  if (!text(activity.channelId)) return refuse('activity.channelId is required');
  if (!isId(activity.channelId)) return refuse(`activity.channelId must be ${ID_RULE}`);
  if (!text(activity.serviceUrl)) return refuse('activity.serviceUrl is required');
  if (!isObject(activity.conversation) || !text(activity.conversation.id)) {
    return refuse('activity.conversation.id is required');
  }
  if (!isObject(activity.from) || !text(activity.from.id)) {
    return refuse('activity.from.id is required');
  }
  const problem =
    accountProblem(activity.conversation, 'activity.conversation', true) ??
    accountProblem(activity.from, 'activity.from', true) ??
    (activity.recipient === undefined
      ? undefined
      : accountProblem(activity.recipient, 'activity.recipient', false)) ??
    membersProblem(activity.membersAdded, 'activity.membersAdded') ??
    membersProblem(activity.membersRemoved, 'activity.membersRemoved') ??
    objectsProblem(activity.attachments, 'activity.attachments', 'contentType') ??
    objectsProblem(activity.entities, 'activity.entities', 'type');
  if (problem) return refuse(problem);
  for (const field of ['id', 'replyToId'] as const) {
    const value = activity[field];
    if (value !== undefined && !isId(value)) return refuse(`activity.${field} must be ${ID_RULE}`);
  }
  for (const field of STRING_FIELDS) {
    const value = activity[field];
    if (value !== undefined && value !== null && typeof value !== 'string') {
      return refuse(`activity.${field} must be a string`);
    }
  }
  const { locale } = activity;
  if (
    locale !== undefined &&
    locale !== null &&
    (typeof locale !== 'string' || locale.length > MAX_LOCALE_CHARS)
  ) {
    return refuse(
      `activity.locale must be a language tag of at most ${MAX_LOCALE_CHARS} characters`,
    );
  }

  const dropped: DroppedField[] = [];
  for (const [field, value] of Object.entries(activity)) {
    if (!nestsDeeperThan(value, MAX_NESTING)) continue;
    if (STRUCTURAL.has(field)) {
      return refuse(`activity.${field} is nested deeper than ${MAX_NESTING} levels`);
    }
    dropped.push({ field, reason: 'too_deep' });
  }
  const { channelData } = activity;
  if (
    channelData !== undefined &&
    channelData !== null &&
    !isObject(channelData) &&
    !dropped.some((d) => d.field === 'channelData')
  ) {
    dropped.push({ field: 'channelData', reason: 'not_an_object' });
  }
  for (const { field } of dropped) Reflect.deleteProperty(activity, field);
  return { ok: true, dropped };
}
