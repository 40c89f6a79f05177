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
  });

/** A number of requests per window; 0 turns the limit off. */
const budget = (fallback: number) =>
  z.coerce.number().int().min(0).max(1_000_000).default(fallback);

const schema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3978),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATA_DIR: z.string().min(1).default('./data'),
    /** Unset: mongo when MONGODB_URI is set, else the embedded store. */
    STORE: z.enum(['embedded', 'memory', 'mongo']).optional(),
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URI')
      .optional(),
    MONGODB_DB: z
      .string()
      .regex(/^[^/\\. "$]{1,63}$/, 'must be a MongoDB database name (no / \\ . " $ or space)')
      .optional(),
    DEFAULT_LOCALE: z.enum(LOCALES).default('en'),
    CATALOGUE_FILE: z.string().min(1).default('catalogue/default-catalogue.json'),
    API_TOKENS: apiTokens,
    /** JWT bearer tokens (production): all three, or none. */
    JWT_ISSUER: z.string().min(1).optional(),
    JWT_AUDIENCE: z.string().min(1).optional(),
    JWT_JWKS_URI: z.url({ protocol: /^https?$/ }).optional(),
    JWT_ROLES_CLAIM: z.string().min(1).default('roles'),
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    MAX_MESSAGE_CHARS: z.coerce.number().int().min(100).max(100_000).default(2000),
    REFUSAL_PAUSE_DAYS: z.coerce.number().int().min(0).max(3650).default(183),
    SECRET_KEY: z
      .string()
      .min(32, 'must be at least 32 characters (e.g. openssl rand -base64 48)')
      .optional(),
    SECRET_KEY_FILE: z.string().min(1).optional(),
    PUBLIC_URL: z.url().optional(),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional(),
    MAIL_FROM: z.string().min(3).default('Privacy assistant <privacy@localhost>'),
    CONFIRMATION_TTL_HOURS: z.coerce.number().int().min(1).max(720).default(48),
    TRANSCRIPT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
    // Node turns a timer over ~24.8 days into 1 ms: keep the interval well below.
    RETENTION_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(35_000).default(60),
    /**
     * Where the server writes a checkpoint of the ledger on a timer (bot/proof/checkpoint-schedule.ts).
     * Unset: none. Somewhere the database administrator cannot write.
     */
    CHECKPOINT_DIR: z.string().min(1).optional(),
    // Node turns a timer over ~24.8 days into 1 ms: at most 500 hours.
    CHECKPOINT_INTERVAL_HOURS: z.coerce.number().int().min(1).max(500).default(24),
    /**
     * Requests per client address (and per conversation) in each window, in this process's memory;
     * 0 turns a limit off. A stop is never refused, whatever the limits.
     */
    RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    RATE_LIMIT_API: budget(300),
    RATE_LIMIT_AUTH_FAILURES: budget(10),
    RATE_LIMIT_MESSAGES: budget(300),
    RATE_LIMIT_CONVERSATION: budget(60),
    RATE_LIMIT_EMAIL_LINKS: budget(30),
    /**
     * How many reverse proxies of ours append to X-Forwarded-For. 0 (default): the header is
     * ignored, since any client can write it; "true" means 1, "false" 0.
     */
    TRUST_PROXY: z
      .preprocess(
        (value) => (value === 'true' ? 1 : value === 'false' ? 0 : value),
        z.coerce.number().int().min(0).max(10),
      )
      .default(0),
    MicrosoftAppId: z.string().default(''),
    MicrosoftAppPassword: z.string().default(''),
    MicrosoftAppType: z
      .enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI'])
      .default('MultiTenant'),
    MicrosoftAppTenantId: z.string().default(''),
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
