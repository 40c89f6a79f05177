/**
 * Terminal client for the consent bot: `npm start` in one terminal, `npm run chat` in another.
 * Sends Bot Framework activities with deliveryMode "expectReplies", so the bot's replies come back
 * in the HTTP response body and no public callback URL is needed. Node built-ins only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface CardAction {
  type: string;
  title?: string;
  text?: string;
  displayText?: string;
  value?: unknown;
}
export interface ReplyActivity {
  type?: string;
  name?: string;
  text?: string;
  attachments?: { contentType?: string; name?: string; content?: unknown }[];
  suggestedActions?: { actions?: CardAction[] };
}
/** What a chosen action or a typed line contributes to the outgoing message activity. */
export interface ActivityPart {
  text?: string;
  value?: unknown;
}

const LOCALES = ['en', 'fr'] as const;
const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
const USAGE = `Usage: npm run chat -- [--url <bot url>] [--locale en|fr] [--user <id>]
  --url     bot base URL (default: $BOT_URL or http://localhost:3978)
  --locale  en or fr (default: en)
  --user    user id (default: a random cli-user-xxxx)
Type a message, or the number of a choice. /quit or Ctrl-D exits.`;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function choiceLabel(action: CardAction): string {
  const { value } = action;
  const shown = typeof value === 'string' || value === undefined ? value : JSON.stringify(value);
  return action.title ?? action.displayText ?? action.text ?? shown ?? '?';
}

/** Texts of every TextBlock anywhere in an Adaptive Card (body, containers, columns...). */
export function cardTexts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(cardTexts);
  if (!isRecord(node)) return [];
  const own = node.type === 'TextBlock' && typeof node.text === 'string' ? [node.text] : [];
  return [...own, ...Object.values(node).flatMap(cardTexts)];
}

/** The suggested actions now on offer: those of the last reply that has any (as Web Chat shows). */
export function currentChoices(activities: readonly ReplyActivity[]): CardAction[] {
  const last = activities.findLast((a) => (a.suggestedActions?.actions?.length ?? 0) > 0);
  return last?.suggestedActions?.actions ?? [];
}

export function renderReplies(activities: readonly ReplyActivity[]): string {
  const lines: string[] = [];
  for (const a of activities) {
    if (a.type === 'endOfConversation') lines.push('(the bot ended the conversation)');
    // Hand-off events are for the channel's people, not the customer: shown by name only.
    if (a.type === 'event' && a.name?.startsWith('handoff.')) lines.push(`(event ${a.name})`);
    if (a.type !== undefined && a.type !== 'message') continue;
    const cards = (a.attachments ?? []).filter((x) => x.contentType === ADAPTIVE_CARD);
    for (const t of [a.text ?? '', ...cards.flatMap((x) => cardTexts(x.content))]) {
      if (t.trim() !== '') lines.push(`bot: ${t.replaceAll('\n', '\n     ')}`);
    }
    // Files (a data export, consent receipts): their names, as a chat client lists them.
    for (const file of a.attachments ?? []) {
      if (file.contentType !== ADAPTIVE_CARD && file.name) {
        lines.push(`     [file: ${file.name}, ${file.contentType ?? 'unknown type'}]`);
      }
    }
  }
  const choices = currentChoices(activities);
  if (choices.length > 0)
    lines.push('  ' + choices.map((c, i) => `${i + 1}) ${choiceLabel(c)}`).join('  '));
  return lines.join('\n');
}

export function choiceToActivityPart(choice: CardAction): ActivityPart {
  if (choice.type === 'postBack') return { text: choice.title ?? choice.text, value: choice.value };
  if (choice.type === 'messageBack')
    return { text: choice.text ?? choice.title, value: choice.value };
  // imBack (and anything else): the value is what the user "says".
  return { text: typeof choice.value === 'string' ? choice.value : choiceLabel(choice) };
}

/** A typed line: "2" picks the second choice when there is one, anything else is sent as text. */
export function inputToActivityPart(line: string, choices: readonly CardAction[]): ActivityPart {
  const choice = /^\d+$/.test(line) ? choices[Number(line) - 1] : undefined;
  return choice ? choiceToActivityPart(choice) : { text: line };
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        url: {
          type: 'string',
          short: 'u',
          default: process.env.BOT_URL ?? 'http://localhost:3978',
        },
        locale: { type: 'string', short: 'l', default: 'en' },
        user: { type: 'string', default: `cli-user-${randomBytes(2).toString('hex')}` },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const { locale, user } = args;
  if (!(LOCALES as readonly string[]).includes(locale)) {
    console.error(`Unknown locale "${locale}": use one of ${LOCALES.join(', ')}.`);
    return 2;
  }
  if (!URL.canParse(args.url)) {
    console.error(`Not a URL: "${args.url}" (expected e.g. http://localhost:3978).`);
    return 2;
  }
  const url = args.url.replace(/\/+$/, '');
  const conversation = { id: `cli-conv-${randomUUID()}` };

  /** Sends one activity; returns the replies, or undefined after printing an HTTP error. */
  async function send(type: string, part: ActivityPart & { membersAdded?: { id: string }[] }) {
    const activity = {
      type,
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      channelId: 'cli',
      serviceUrl: url,
      from: { id: user, name: 'You' },
      recipient: { id: 'consent-bot', name: 'Consent bot' },
      conversation,
      locale,
      deliveryMode: 'expectReplies',
      ...part,
    };
    let res: Response;
    try {
      res = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(activity),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') console.error(`${url} did not answer in 60 s.`);
      else {
        const cause = (err as Error & { cause?: { code?: string } }).cause?.code ?? String(err);
        console.error(`Cannot reach the bot at ${url} (${cause}).`);
        console.error('Start the server first with `npm start` in another terminal.');
      }
      process.exit(1);
    }
    const body = await res.text();
    if (res.status !== 200) {
      const hint =
        res.status === 401
          ? '\n(The server has MicrosoftAppId set and wants a token; unset it to chat locally.)'
          : '';
      console.error(`HTTP ${res.status} ${res.statusText}: ${body}${hint}`);
      return undefined;
    }
    let parsed: unknown = {};
    try {
      if (body.trim() !== '') parsed = JSON.parse(body);
    } catch {
      console.error(`Unexpected (non-JSON) reply body: ${body}`);
    }
    const list =
      isRecord(parsed) && Array.isArray(parsed.activities) ? (parsed.activities as unknown[]) : [];
    return list.filter(isRecord) as ReplyActivity[];
  }

  let choices: CardAction[] = [];
  const show = (replies: ReplyActivity[] | undefined) => {
    if (!replies) return;
    const text = renderReplies(replies);
    if (text) console.log(text);
    choices = currentChoices(replies);
  };

  console.log(`Chatting with ${url} as ${user} (${locale}). /quit or Ctrl-D exits.`);
  show(await send('conversationUpdate', { membersAdded: [{ id: user }] }));
  // Created only now so that stdin is not read (and piped lines not lost) before the loop starts.
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: '> ' });
  rl.on('SIGINT', () => {
    rl.close();
  });
  rl.prompt();
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '/quit') break;
    if (line !== '') show(await send('message', inputToActivityPart(line, choices)));
    rl.prompt();
  }
  rl.close();
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
