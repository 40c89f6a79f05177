import { resolve } from 'node:path';
import { z } from 'zod';
import { LOCALES } from '../../consent/catalogue.js';

/**
 * compliance: read and export proof; agent: look up a customer's choices; marketing: may only ask
 * whether a person may be contacted, never read their history (least privilege, GDPR art. 25).
 */
export const ROLES = ['compliance', 'agent', 'marketing'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiToken {
  readonly role: Role;
  readonly token: string;
}

const apiTokens = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const tokens: ApiToken[] = [];
    for (const pair of raw
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const at = pair.indexOf(':');
      const role = pair.slice(0, at);
      const token = pair.slice(at + 1);
      if (at < 1 || !(ROLES as readonly string[]).includes(role)) {
        ctx.addIssue({
          code: 'custom',
          message: `each entry must be "role:token" with role one of ${ROLES.join(', ')}`,
        });
        return z.NEVER;
      }
      if (token.length < 16) {
        ctx.addIssue({
          code: 'custom',
          message: `the ${role} token must be at least 16 characters`,
        });
        return z.NEVER;
      }
      tokens.push({ role: role as Role, token });
    }
    return tokens;
  })
  .meta({
    description:
      'Bearer tokens for the HTTP API, `role:token` pairs separated by commas. Roles: ' +
      '`compliance`, `agent`, `marketing`.',
    allowed: '`role:token`, comma-separated; each token 16+ characters',
  });

/** A number of requests per window; 0 turns the limit off. */
const budget = (fallback: number, description: string) =>
  z.coerce.number().int().min(0).max(1_000_000).default(fallback).describe(description);

const schema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3978).describe('HTTP port.'),
    HOST: z.string().min(1).default('0.0.0.0').describe('Interface to listen on.'),
    DATA_DIR: z
      .string()
      .min(1)
      .default('./data')
      .describe('Folder of the embedded store. Back it up: it holds the consent proof.'),
    /** Unset: mongo when MONGODB_URI is set, else the embedded store. */
    STORE: z
      .enum(['embedded', 'memory', 'mongo'])
      .optional()
      .meta({
        description:
          '`embedded`: a SQLite file in `DATA_DIR`, survives restarts. `memory`: lost on exit ' +
          '(demos). `mongo`: MongoDB.',
        defaultText: '`mongo` if `MONGODB_URI` is set, else `embedded`',
      }),
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI')
      .optional()
      .meta({
        description: 'MongoDB connection string. Setting it selects MongoDB.',
        allowed: 'a `mongodb://` or `mongodb+srv://` URI',
      }),
    MONGODB_DB: z
      .string()
      .regex(/^[^/\\. "$]{1,63}$/, 'must be a MongoDB database name (no / \\ . " $ or space)')
      .optional()
      .meta({
        description: 'Database name.',
        defaultText: "the URI's path, else `consent_bot`",
        allowed: '1 to 63 characters, none of `/ \\ . " $` or space',
      }),
    DEFAULT_LOCALE: z
      .enum(LOCALES)
      .default('en')
      .describe('Used when a channel sends no locale, or one the bot does not speak.'),
    CATALOGUE_FILE: z
      .string()
      .min(1)
      .default('catalogue/default-catalogue.json')
      .describe('The data map: purposes, data categories, texts per language. Validated at start.'),
    API_TOKENS: apiTokens,
    /** JWT bearer tokens (production): all three, or none. */
    JWT_ISSUER: z
      .string()
      .min(1)
      .optional()
      .describe(
        'JWT bearer tokens for the API (production, e.g. Entra ID): the issuer (`iss`). Set ' +
          'with `JWT_AUDIENCE` and `JWT_JWKS_URI`, or not at all.',
      ),
    JWT_AUDIENCE: z
      .string()
      .min(1)
      .optional()
      .describe('The audience (`aud`) tokens must carry, e.g. `api://consent-bot`.'),
    JWT_JWKS_URI: z
      .url({ protocol: /^https?$/ })
      .optional()
      .meta({
        description:
          'Where the issuer publishes its signing keys (fetched, cached, refreshed on rotation).',
        allowed: 'an http(s) URL',
      }),
    JWT_ROLES_CLAIM: z
      .string()
      .min(1)
      .default('roles')
      .describe(
        "The claim that lists the caller's roles (Entra ID app roles); a dotted path reaches " +
          'nested claims (`realm_access.roles`).',
      ),
    LOG_LEVEL: z
      .enum(['debug', 'info', 'warn', 'error', 'silent'])
      .default('info')
      .describe('Logs carry ids and codes, never message text.'),
    MAX_MESSAGE_CHARS: z.coerce
      .number()
      .int()
      .min(100)
      .max(100_000)
      .default(2000)
      .describe('Longer messages get a polite "too long" and change nothing.'),
    REFUSAL_PAUSE_DAYS: z.coerce
      .number()
      .int()
      .min(0)
      .max(3650)
      .default(183)
      .describe('A refusal is not asked again for this long (CNIL: about six months).'),
    SECRET_KEY: z
      .string()
      .min(32, 'must be at least 32 characters (e.g. openssl rand -base64 48)')
      .optional()
      .meta({
        description:
          'Master secret for pseudonyms, suppression hashes, unsubscribe links and ledger seals. ' +
          '**Required with MongoDB. Never change it**: old pseudonyms and suppression entries ' +
          'would stop matching, and every sealed ledger event would read as forged.',
        defaultText: 'generated into `DATA_DIR/secret.key` (embedded store only)',
      }),
    SECRET_KEY_FILE: z
      .string()
      .min(1)
      .optional()
      .describe('A file holding `SECRET_KEY` (e.g. a Docker or Kubernetes secret).'),
    PUBLIC_URL: z.url().optional().meta({
      description: 'Where links in e-mails point (use https in production: RFC 8058).',
      defaultText: '`http://localhost:$PORT`',
      allowed: 'a URL',
    }),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional()
      .meta({
        description:
          'Where e-mails are sent, e.g. `smtp://user:pass@host:587`. Unset: they are written ' +
          'as `.eml` files to `DATA_DIR/outbox/` to open by hand.',
        allowed: 'an `smtp://` or `smtps://` URL',
      }),
    MAIL_FROM: z
      .string()
      .min(3)
      .default('Privacy assistant <privacy@localhost>')
      .describe('Sender of the e-mails.'),
    CONFIRMATION_TTL_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(720)
      .default(48)
      .describe(
        'How long a double opt-in link works; then the purpose is no longer pending (an ' +
          '`expired` event).',
      ),
    TRANSCRIPT_RETENTION_DAYS: z.coerce
      .number()
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe(
        'Conversation transcripts older than this are deleted by the clean-up job. The ledger ' +
          'is kept.',
      ),
    // Node turns a timer over ~24.8 days into 1 ms: keep the interval well below.
    RETENTION_INTERVAL_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(35_000)
      .default(60)
      .describe(
        'How often the clean-up job runs (also once at start): old transcripts, expired ' +
          'confirmation tokens.',
      ),
    /**
     * Where the server writes a checkpoint of the ledger on a timer (bot/proof/checkpoint-schedule.ts).
     * Unset: none. Somewhere the database administrator cannot write.
     */
    CHECKPOINT_DIR: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Folder the server writes a ledger checkpoint to on a timer (also at start), checked ' +
          'against the last intact one there. Unset: none. Out of the database ' +
          "administrator's reach.",
      ),
    // Node turns a timer over ~24.8 days into 1 ms: at most 500 hours.
    CHECKPOINT_INTERVAL_HOURS: z.coerce
      .number()
      .int()
      .min(1)
      .max(500)
      .default(24)
      .describe('How often a checkpoint is taken when `CHECKPOINT_DIR` is set.'),
    /**
     * Requests per client address (and per conversation) in each window, in this process's memory;
     * 0 turns a limit off. A stop is never refused, whatever the limits.
     */
    RATE_LIMIT_WINDOW_SECONDS: z.coerce
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe(
        'The window of every `RATE_LIMIT_*` below: each is a number of requests per window; ' +
          '`0` turns it off.',
      ),
    RATE_LIMIT_API: budget(300, 'Calls to `/api/*` (but `/api/messages`) per client address.'),
    RATE_LIMIT_AUTH_FAILURES: budget(
      10,
      'Failed authentications (`401`) per client address; past it, that address gets `429` on ' +
        '`/api/*` until the window ends.',
    ),
    RATE_LIMIT_MESSAGES: budget(
      300,
      'Activities to `/api/messages` per client address. Behind Azure Bot Service all come ' +
        'from its addresses: raise it or set `0`.',
    ),
    RATE_LIMIT_CONVERSATION: budget(
      60,
      'Activities to `/api/messages` per conversation (and client address). A stop always ' +
        'goes through.',
    ),
    RATE_LIMIT_EMAIL_LINKS: budget(
      30,
      'Requests to `/confirm` and `/unsubscribe` per client address. A one-click unsubscribe ' +
        'with a valid link always goes through.',
    ),
    /**
     * How many reverse proxies of ours append to X-Forwarded-For. 0 (default): the header is
     * ignored, since any client can write it; "true" means 1, "false" 0.
     */
    TRUST_PROXY: z
      .preprocess(
        (value) => (value === 'true' ? 1 : value === 'false' ? 0 : value),
        z.coerce.number().int().min(0).max(10),
      )
      .default(0)
      .meta({
        description:
          'Reverse proxies of yours that append to `X-Forwarded-For`. `0`: the header is ' +
          'ignored and the client is the peer address. Never set it when clients can reach ' +
          'the server directly.',
        defaultText: '`0`',
        allowed: 'integer 0 to 10, `true` (1) or `false` (0)',
      }),
    MicrosoftAppId: z
      .string()
      .default('')
      .describe('Azure Bot registration. **Unset means no authentication: local use only.**'),
    MicrosoftAppPassword: z
      .string()
      .default('')
      .describe(
        'Its client secret (required with `MicrosoftAppId`, except for `UserAssignedMSI`).',
      ),
    MicrosoftAppType: z
      .enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI'])
      .default('MultiTenant')
      .describe('How the Azure Bot registration authenticates.'),
    MicrosoftAppTenantId: z.string().default('').describe('Required for `SingleTenant`.'),
    /**
     * Where agents' hand-off webhooks may point (SSRF safety): origins such as
     * https://crm.example.com, comma-separated. Empty: no callback is accepted.
     */
    HANDOFF_CALLBACK_ORIGINS: z
      .string()
      .default('')
      .transform((raw, ctx) => {
        const origins: string[] = [];
        for (const item of raw
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean)) {
          const url = URL.canParse(item) ? new URL(item) : undefined;
          if (!url || !/^https?:$/.test(url.protocol) || url.origin !== item.replace(/\/+$/, '')) {
            ctx.addIssue({
              code: 'custom',
              message: `"${item}" is not an origin such as https://crm.example.com (no path)`,
            });
            return z.NEVER;
          }
          origins.push(url.origin);
        }
        return origins;
      })
      .meta({
        description:
          "Where agents' hand-off webhooks may point. Empty: a hand-off with a `callbackUrl` " +
          'is refused (`400 CALLBACK_NOT_ALLOWED`).',
        allowed: 'origins such as `https://crm.example.com`, comma-separated',
      }),
  })
  .superRefine((env, ctx) => {
    const store = env.STORE ?? (env.MONGODB_URI ? 'mongo' : 'embedded');
    if (store === 'mongo' && !env.SECRET_KEY && !env.SECRET_KEY_FILE) {
      ctx.addIssue({
        code: 'custom',
        path: ['SECRET_KEY'],
        message:
          'is required with MongoDB (or SECRET_KEY_FILE): it keys pseudonyms and suppression',
      });
    }
    const jwt = [env.JWT_ISSUER, env.JWT_AUDIENCE, env.JWT_JWKS_URI];
    if (jwt.some(Boolean) && !jwt.every(Boolean)) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_ISSUER'],
        message: 'JWT_ISSUER, JWT_AUDIENCE and JWT_JWKS_URI go together: set all three or none',
      });
    }
    if (env.STORE === 'mongo' && !env.MONGODB_URI) {
      ctx.addIssue({
        code: 'custom',
        path: ['MONGODB_URI'],
        message: 'is required when STORE is mongo',
      });
    }
    if (
      env.MicrosoftAppType === 'SingleTenant' &&
      env.MicrosoftAppId &&
      !env.MicrosoftAppTenantId
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['MicrosoftAppTenantId'],
        message: 'is required when MicrosoftAppType is SingleTenant',
      });
    }
    if (
      env.MicrosoftAppId &&
      env.MicrosoftAppType !== 'UserAssignedMSI' &&
      !env.MicrosoftAppPassword
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['MicrosoftAppPassword'],
        message:
          'is required when MicrosoftAppId is set (unless MicrosoftAppType is UserAssignedMSI)',
      });
    }
  });

/** The schema itself, for tools/config-doc.ts: it writes the table of docs/configuration.md. */
export { schema as configSchema };

export type Config = Readonly<
  Omit<
    z.output<typeof schema>,
    'API_TOKENS' | 'STORE' | 'PUBLIC_URL' | 'HANDOFF_CALLBACK_ORIGINS'
  > & {
    API_TOKENS: readonly ApiToken[];
    HANDOFF_CALLBACK_ORIGINS: readonly string[];
    STORE: 'embedded' | 'memory' | 'mongo';
    PUBLIC_URL: string;
  }
>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

/**
 * The only reader of process.env. Empty strings count as unset, so `PORT=` in a .env file means
 * "use the default". A bad value stops the server with a message naming the variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const config = parsed.data;
  return Object.freeze({
    ...config,
    STORE: config.STORE ?? (config.MONGODB_URI ? 'mongo' : 'embedded'),
    DATA_DIR: resolve(config.DATA_DIR),
    CATALOGUE_FILE: resolve(config.CATALOGUE_FILE),
    ...(config.CHECKPOINT_DIR ? { CHECKPOINT_DIR: resolve(config.CHECKPOINT_DIR) } : {}),
    // Links in e-mails must point somewhere the person can reach.
    PUBLIC_URL: (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, ''),
    API_TOKENS: Object.freeze(config.API_TOKENS.map((token) => Object.freeze({ ...token }))),
    HANDOFF_CALLBACK_ORIGINS: Object.freeze([...config.HANDOFF_CALLBACK_ORIGINS]),
  });
}
