import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

/** Runs loadConfig on an environment expected to be rejected, and returns the ConfigError. */
function rejected(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const TOKEN = '0123456789abcdef';

describe('loadConfig', () => {
  it('has safe defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3978);
    expect(isAbsolute(config.DATA_DIR)).toBe(true);
    expect(config.DATA_DIR.endsWith('/data')).toBe(true);
    expect(config.STORE).toBe('embedded');
    expect(config.DEFAULT_LOCALE).toBe('en');
    expect(config.API_TOKENS).toEqual([]);
    expect(isAbsolute(config.CATALOGUE_FILE)).toBe(true);
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({
      PORT: '',
      DATA_DIR: '',
      STORE: '',
      DEFAULT_LOCALE: '',
      API_TOKENS: '',
      MicrosoftAppId: '',
      MicrosoftAppPassword: '',
      MicrosoftAppType: '',
    });
    expect(config).toEqual(loadConfig({}));
  });

  it('reads the values it is given', () => {
    const config = loadConfig({ PORT: '8080', STORE: 'memory', DEFAULT_LOCALE: 'fr' });
    expect(config).toMatchObject({ PORT: 8080, STORE: 'memory', DEFAULT_LOCALE: 'fr' });
  });

  it.each(['abc', '70000', '-1', '3.5'])('rejects PORT=%s naming PORT', (PORT) => {
    expect(rejected({ PORT }).message).toContain('PORT');
  });

  it('rejects an unknown DEFAULT_LOCALE naming DEFAULT_LOCALE', () => {
    expect(rejected({ DEFAULT_LOCALE: 'de' }).message).toContain('DEFAULT_LOCALE');
  });

  it('rejects an unknown STORE naming STORE', () => {
    expect(rejected({ STORE: 'mongo-ish' }).message).toContain('STORE');
  });

  it('parses API_TOKENS as role:token pairs', () => {
    const config = loadConfig({ API_TOKENS: `compliance:${TOKEN}, agent:fedcba9876543210` });
    expect(config.API_TOKENS).toEqual([
      { role: 'compliance', token: TOKEN },
      { role: 'agent', token: 'fedcba9876543210' },
    ]);
  });

  it.each([`root:${TOKEN}`, 'compliance:short', TOKEN, `:${TOKEN}`])(
    'rejects API_TOKENS=%s naming API_TOKENS',
    (API_TOKENS) => {
      const message = rejected({ API_TOKENS }).message;
      expect(message).toContain('API_TOKENS');
      // The message says what is wrong but never repeats a secret.
      expect(message).not.toContain(TOKEN);
    },
  );

  it('takes JWT settings all together, with roles from the roles claim by default', () => {
    const jwt = {
      JWT_ISSUER: 'https://login.microsoftonline.com/tenant/v2.0',
      JWT_AUDIENCE: 'api://consent-bot',
      JWT_JWKS_URI: 'https://login.microsoftonline.com/tenant/discovery/v2.0/keys',
    };
    expect(loadConfig(jwt)).toMatchObject({ ...jwt, JWT_ROLES_CLAIM: 'roles' });
    expect(rejected({ JWT_ISSUER: jwt.JWT_ISSUER }).message).toContain('JWT_ISSUER');
    expect(rejected({ ...jwt, JWT_JWKS_URI: 'file:///etc/passwd' }).message).toContain(
      'JWT_JWKS_URI',
    );
  });

  it('requires MicrosoftAppPassword with MicrosoftAppId', () => {
    expect(rejected({ MicrosoftAppId: 'app-id' }).message).toContain('MicrosoftAppPassword');
    expect(
      loadConfig({ MicrosoftAppId: 'app-id', MicrosoftAppType: 'UserAssignedMSI' }).MicrosoftAppId,
    ).toBe('app-id');
  });

  it('requires MicrosoftAppTenantId for SingleTenant', () => {
    const env = {
      MicrosoftAppId: 'app-id',
      MicrosoftAppPassword: 'secret',
      MicrosoftAppType: 'SingleTenant',
    };
    expect(rejected(env).message).toContain('MicrosoftAppTenantId');
    expect(loadConfig({ ...env, MicrosoftAppTenantId: 'tenant' }).MicrosoftAppTenantId).toBe(
      'tenant',
    );
  });

  it('chooses MongoDB when MONGODB_URI is set, the embedded store otherwise', () => {
    expect(loadConfig({}).STORE).toBe('embedded');
    const secret = { SECRET_KEY: 'a-secret-of-at-least-thirty-two-characters' };
    expect(loadConfig({ MONGODB_URI: 'mongodb://db:27017/proof', ...secret }).STORE).toBe('mongo');
    expect(loadConfig({ MONGODB_URI: 'mongodb://db:27017/', STORE: 'memory' }).STORE).toBe(
      'memory',
    );
  });

  it.each([
    [{ STORE: 'mongo' }, 'MONGODB_URI'],
    [{ MONGODB_URI: 'mongodb://db/' }, 'SECRET_KEY'],
    [{ SECRET_KEY: 'too short' }, 'SECRET_KEY'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ SMTP_URL: 'http://mail' }, 'SMTP_URL'],
    [{ MONGODB_URI: 'localhost:27017' }, 'MONGODB_URI'],
    [{ MONGODB_URI: 'mongodb://db/', MONGODB_DB: 'a.b' }, 'MONGODB_DB'],
    [{ STORE: 'postgres' }, 'STORE'],
  ])('refuses %j, naming %s', (env, variable) => {
    expect(rejected(env).message).toContain(variable);
  });

  it('lists every problem at once', () => {
    const message = rejected({ PORT: 'abc', DEFAULT_LOCALE: 'de' }).message;
    expect(message).toContain('PORT');
    expect(message).toContain('DEFAULT_LOCALE');
  });

  it('returns a frozen config', () => {
    const config = loadConfig({ API_TOKENS: `agent:${TOKEN}` });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.API_TOKENS)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
    expect(config.PORT).toBe(3978);
  });
});

describe('HANDOFF_CALLBACK_ORIGINS', () => {
  it('is empty by default: no webhook is accepted', () => {
    expect(loadConfig({}).HANDOFF_CALLBACK_ORIGINS).toEqual([]);
  });

  it('takes comma-separated origins, trimmed, a trailing slash allowed', () => {
    expect(
      loadConfig({
        HANDOFF_CALLBACK_ORIGINS: ' https://crm.example.com , http://127.0.0.1:8080/ ',
      }).HANDOFF_CALLBACK_ORIGINS,
    ).toEqual(['https://crm.example.com', 'http://127.0.0.1:8080']);
  });

  it.each(['https://crm.example.com/hooks', 'ftp://crm.example.com', 'crm.example.com'])(
    'rejects %j, naming the variable',
    (value) => {
      expect(rejected({ HANDOFF_CALLBACK_ORIGINS: value }).message).toContain(
        'HANDOFF_CALLBACK_ORIGINS',
      );
    },
  );
});

describe('rate limits and TRUST_PROXY', () => {
  it('has limits on by default, and never trusts X-Forwarded-For by default', () => {
    expect(loadConfig({})).toMatchObject({
      RATE_LIMIT_WINDOW_SECONDS: 60,
      RATE_LIMIT_API: 300,
      RATE_LIMIT_AUTH_FAILURES: 10,
      RATE_LIMIT_MESSAGES: 300,
      RATE_LIMIT_CONVERSATION: 60,
      RATE_LIMIT_EMAIL_LINKS: 30,
      TRUST_PROXY: 0,
    });
  });

  it('reads the values it is given; 0 turns a limit off; empty counts as unset', () => {
    expect(
      loadConfig({
        RATE_LIMIT_WINDOW_SECONDS: '10',
        RATE_LIMIT_API: '0',
        RATE_LIMIT_AUTH_FAILURES: '',
        TRUST_PROXY: '2',
      }),
    ).toMatchObject({
      RATE_LIMIT_WINDOW_SECONDS: 10,
      RATE_LIMIT_API: 0,
      RATE_LIMIT_AUTH_FAILURES: 10,
      TRUST_PROXY: 2,
    });
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(0);
  });

  it.each([
    ['RATE_LIMIT_WINDOW_SECONDS', '0'],
    ['RATE_LIMIT_API', '-1'],
    ['RATE_LIMIT_AUTH_FAILURES', 'ten'],
    ['RATE_LIMIT_MESSAGES', '1.5'],
    ['RATE_LIMIT_CONVERSATION', 'many'],
    ['RATE_LIMIT_EMAIL_LINKS', '-3'],
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', '11'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(rejected({ [name]: value }).message).toContain(name);
  });
});
