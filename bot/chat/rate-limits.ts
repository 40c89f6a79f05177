import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Next, Request, RequestHandler, Response } from 'restify';
import type { Catalogue } from '../../consent/catalogue.js';
import { detectKeywordIntent } from '../../consent/opt-out.js';
import { wordsOf } from './message-words.js';
import type { Config } from '../platform/config.js';
import { fail } from '../http/http-common.js';
import { errorFields, type Logger } from '../platform/log.js';

/**
 * Budgets per client address (and per conversation) over a fixed window, in this process's memory:
 * with several replicas each has its own budget. 0 turns a budget off.
 */
export interface RateLimitSettings {
  readonly windowSeconds: number;
  /** Calls to /api/* (but /api/messages) per address. */
  readonly apiPerAddress: number;
  /** Failed authentications (401) per address; past it the address gets 429 on /api/*. */
  readonly authFailuresPerAddress: number;
  /** Activities posted to /api/messages per address. */
  readonly messagesPerAddress: number;
  /** Activities posted to /api/messages per conversation (from the same address). */
  readonly messagesPerConversation: number;
  /** Requests to the e-mail link pages /confirm and /unsubscribe per address. */
  readonly emailLinksPerAddress: number;
  /** Reverse proxies in front of the server that append to X-Forwarded-For; 0: ignore it. */
  readonly trustProxyHops: number;
}

export function rateLimitSettingsOf(config: Config): RateLimitSettings {
  return {
    windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS,
    apiPerAddress: config.RATE_LIMIT_API,
    authFailuresPerAddress: config.RATE_LIMIT_AUTH_FAILURES,
    messagesPerAddress: config.RATE_LIMIT_MESSAGES,
    messagesPerConversation: config.RATE_LIMIT_CONVERSATION,
    emailLinksPerAddress: config.RATE_LIMIT_EMAIL_LINKS,
    trustProxyHops: config.TRUST_PROXY,
  };
}

export interface RateLimitDeps {
  readonly settings: RateLimitSettings;
  readonly catalogue: Catalogue;
  /** Whether a token is one of our signed unsubscribe links: such a POST is a stop. */
  readonly isUnsubscribeToken?: (token: string) => boolean;
  readonly log: Logger;
}

/**
 * The client's address. X-Forwarded-For is written by whoever sends the request, so it is read
 * only when TRUST_PROXY says how many proxies of ours append to it, and then only the entry the
 * farthest trusted proxy wrote: anything to its left may be forged.
 */
export function clientAddress(req: Request, trustProxyHops: number): string {
  const socket = req.socket.remoteAddress ?? 'unknown';
  if (trustProxyHops === 0) return socket;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const chain = [...forwarded, socket];
  const candidate = chain[Math.max(0, chain.length - 1 - trustProxyHops)] ?? socket;
  return isIP(candidate) ? candidate : socket;
}

/**
 * The key of an address's budget: an IPv4 address as is (also when IPv4-mapped), an IPv6 address
 * by its /64 network, since one host or household commonly gets a whole /64 and could otherwise
 * take a fresh address, and a fresh budget, for every request.
 */
export function budgetKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = (address.toLowerCase().split('%')[0] ?? '').split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** Counts one more request for `key`: the refusal (with its wait) when over budget. */
async function take(limiter: RateLimiterMemory | undefined, key: string) {
  if (!limiter) return undefined;
  try {
    await limiter.consume(key);
    return undefined;
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) return refusal;
    throw refusal;
  }
}

function limiterOf(points: number, windowSeconds: number, keyPrefix: string) {
  return points > 0
    ? new RateLimiterMemory({ points, duration: windowSeconds, keyPrefix })
    : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === 'object' && !Array.isArray(value);

/**
 * Limits per client address on the API (and a stricter one on failed authentication), per address
 * and per conversation on /api/messages, and per address on the e-mail link pages: a flood of
 * wrong tokens or of new conversations (each writes to disk, and a full disk blocks stops) is
 * answered 429 (RFC 6585) with Retry-After. A stop is never refused: a message that is a stop, and
 * a one-click unsubscribe with a signed link, go through over the limit, so that the withdrawal
 * reaches the ledger. Health and readiness probes and the console's files are not limited.
 */
export function rateLimits(deps: RateLimitDeps): RequestHandler {
  const { settings, catalogue, log } = deps;
  const window = settings.windowSeconds;
  const api = limiterOf(settings.apiPerAddress, window, 'api');
  const authFailures = limiterOf(settings.authFailuresPerAddress, window, 'auth');
  const messagesByAddress = limiterOf(settings.messagesPerAddress, window, 'msg-address');
  const messagesByConversation = limiterOf(settings.messagesPerConversation, window, 'msg-conv');
  const emailLinks = limiterOf(settings.emailLinksPerAddress, window, 'email');

  /** 429 with Retry-After (RFC 6585 section 4): when the budget of this window is back. */
  const refuse = (res: Response, limit: string, refusal: RateLimiterRes, points: number): void => {
    // Logged once per key and window, not per request: a flood must not flood the log as well.
    if (refusal.consumedPoints === points + 1) log.warn('http.rate_limited', { limit });
    const seconds = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
    res.header('Retry-After', String(seconds));
    fail(res, 429, 'RATE_LIMITED', `too many requests from this client, retry in ${seconds} s`);
  };

  const isStop = (body: unknown): boolean => {
    if (!isObject(body) || body.type !== 'message') return false;
    return detectKeywordIntent(wordsOf(body), catalogue)?.kind === 'withdraw';
  };

  const isSignedUnsubscribe = (req: Request): boolean => {
    if (req.method !== 'POST' || !deps.isUnsubscribeToken) return false;
    const url = req.url ?? '';
    const at = url.indexOf('?');
    const tokens = new URLSearchParams(at < 0 ? '' : url.slice(at + 1)).getAll('token');
    const token = tokens.length === 1 ? tokens[0]?.trim() : undefined;
    return !!token && deps.isUnsubscribeToken(token);
  };

  const messages = async (req: Request, res: Response, address: string): Promise<boolean> => {
    const body: unknown = req.body;
    const conversation =
      isObject(body) && isObject(body.conversation) ? body.conversation.id : undefined;
    const byAddress = await take(messagesByAddress, address);
    // Keyed with the address too: requests from elsewhere cannot use up a conversation's budget.
    // Hashed: an id is the client's to choose, up to the body limit, and keys stay in memory.
    const byConversation =
      typeof conversation === 'string'
        ? await take(
            messagesByConversation,
            createHash('sha256').update(`${address}\n${conversation}`).digest('base64url'),
          )
        : undefined;
    if (!byAddress && !byConversation) return true;
    if (isStop(body)) {
      log.warn('http.rate_limit_passed_stop', { route: 'messages' });
      return true;
    }
    if (byConversation) {
      refuse(res, 'messages-per-conversation', byConversation, settings.messagesPerConversation);
    } else if (byAddress) {
      refuse(res, 'messages-per-address', byAddress, settings.messagesPerAddress);
    }
    return false;
  };

  const apiCall = async (res: Response, address: string): Promise<boolean> => {
    if (authFailures) {
      const failures = await authFailures.get(address);
      if (failures && failures.consumedPoints >= settings.authFailuresPerAddress) {
        // Refused before the token is even looked at: guessing tokens gets nowhere.
        refuse(res, 'auth-failures', failures, Number.POSITIVE_INFINITY);
        return false;
      }
      // Counted when the answer is known: every 401, whichever route and authenticator sent it.
      res.once('finish', () => {
        if (res.statusCode !== 401) return;
        authFailures.consume(address).then(
          (counted) => {
            if (counted.consumedPoints === settings.authFailuresPerAddress) {
              log.warn('http.rate_limited', { limit: 'auth-failures' });
            }
          },
          () => undefined,
        );
      });
    }
    const refusal = await take(api, address);
    if (refusal) refuse(res, 'api', refusal, settings.apiPerAddress);
    return !refusal;
  };

  const emailLink = async (req: Request, res: Response, address: string): Promise<boolean> => {
    const refusal = await take(emailLinks, address);
    if (!refusal) return true;
    // A one-click unsubscribe with a link we signed is a stop: it goes through over the limit.
    if (isSignedUnsubscribe(req)) {
      log.warn('http.rate_limit_passed_stop', { route: 'unsubscribe' });
      return true;
    }
    refuse(res, 'email-links', refusal, settings.emailLinksPerAddress);
    return false;
  };

  return (req: Request, res: Response, next: Next): void => {
    const path = req.getPath();
    const address = budgetKey(clientAddress(req, settings.trustProxyHops));
    let check: Promise<boolean>;
    if (path === '/api/messages') {
      check = messages(req, res, address);
    } else if (path.startsWith('/api/')) {
      check = apiCall(res, address);
    } else if (path === '/confirm' || path === '/unsubscribe') {
      check = emailLink(req, res, address);
    } else {
      next();
      return;
    }
    check.then(
      (allowed) => {
        next(allowed ? undefined : false);
      },
      (error: unknown) => {
        // A limiter that fails must not refuse anyone, least of all a stop: fail open.
        log.error('http.rate_limit_failed', errorFields(error));
        next();
      },
    );
  };
}
