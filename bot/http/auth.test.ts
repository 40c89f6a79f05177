import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyOf, authorise, jwtAuthenticator, tokenAuthenticator } from './auth.js';

const ISSUER = 'https://login.example.test/tenant/v2.0';
const AUDIENCE = 'api://consent-bot';
const STATIC = 'compliance-token-0123456789';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** A real issuer's JWKS endpoint on a local port, as Entra ID publishes its signing keys. */
let jwksServer: Server;
let jwksUrl: string;
let published: JWK[] = [];
let signer: KeyPair;
let stranger: KeyPair;
let jwksRequests = 0;

beforeAll(async () => {
  signer = await generateKeyPair('RS256');
  stranger = await generateKeyPair('RS256');
  published = [{ ...(await exportJWK(signer.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }];
  jwksServer = createServer((_req, res) => {
    jwksRequests += 1;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/keys`;
});

afterAll(
  () =>
    new Promise<void>((resolve) =>
      jwksServer.close(() => {
        resolve();
      }),
    ),
);

async function token(
  claims: JWTPayload,
  options: { key?: KeyPair; kid?: string; issuer?: string; audience?: string; exp?: string } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '5m')
    .sign((options.key ?? signer).privateKey);
}

const jwt = () =>
  jwtAuthenticator({ issuer: ISSUER, audience: AUDIENCE, jwksUri: jwksUrl, rolesClaim: 'roles' });

describe('API_TOKENS', () => {
  const auth = tokenAuthenticator([{ role: 'compliance', token: STATIC }]);

  it('admits the holder under their role, naming them by a fingerprint, never the token', async () => {
    const result = await authorise(`Bearer ${STATIC}`, auth, ['compliance']);
    expect(result).toMatchObject({ ok: true, role: 'compliance' });
    const id = result.ok ? result.principal.id : '';
    expect(id).toMatch(/^token:compliance:[0-9a-f]{12}$/);
    expect(id).not.toContain(STATIC);
  });

  it.each([
    [undefined, 401],
    ['', 401],
    ['Bearer', 401],
    [`Basic ${STATIC}`, 401],
    [`Bearer ${STATIC}x`, 401],
  ])('refuses %s with %i', async (header, status) => {
    expect(await authorise(header, auth, ['compliance'])).toMatchObject({ ok: false, status });
  });

  it('forbids a known token outside its role', async () => {
    expect(await authorise(`Bearer ${STATIC}`, auth, ['agent'])).toEqual({
      ok: false,
      status: 403,
      code: 'FORBIDDEN',
    });
  });
});

describe('JWT bearer tokens against the issuer JWKS', () => {
  it('admits a signed token with the role in the roles claim', async () => {
    const result = await authorise(
      `Bearer ${await token({ sub: 'user-1', oid: 'object-1', roles: ['compliance'] })}`,
      jwt(),
      ['compliance'],
    );
    expect(result).toEqual({
      ok: true,
      role: 'compliance',
      principal: { id: `jwt:${ISSUER}#object-1`, roles: ['compliance'] },
    });
  });

  it('reads roles from a nested claim, and ignores roles that are not ours', async () => {
    const auth = jwtAuthenticator({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: jwksUrl,
      rolesClaim: 'realm_access.roles',
    });
    const signed = await token({ sub: 'u', realm_access: { roles: ['agent', 'admin'] } });
    const result = await authorise(`Bearer ${signed}`, auth, ['agent', 'compliance']);
    expect(result).toMatchObject({ ok: true, role: 'agent', principal: { roles: ['agent'] } });
  });

  it('forbids a valid token without the role', async () => {
    const signed = await token({ sub: 'u', roles: ['agent'] });
    expect(await authorise(`Bearer ${signed}`, jwt(), ['compliance'])).toMatchObject({
      status: 403,
    });
  });

  it.each([
    ['another issuer', { issuer: 'https://evil.example.test' }],
    ['another audience', { audience: 'api://other' }],
    ['expired', { exp: '-5m' }],
  ])('refuses a token for %s', async (_name, options) => {
    const signed = await token({ sub: 'u', roles: ['compliance'] }, options);
    expect(await authorise(`Bearer ${signed}`, jwt(), ['compliance'])).toMatchObject({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });

  it('refuses a token signed by a key the issuer does not publish', async () => {
    const forged = await token({ sub: 'u', roles: ['compliance'] }, { key: stranger, kid: 'k1' });
    expect(await authorise(`Bearer ${forged}`, jwt(), ['compliance'])).toMatchObject({
      status: 401,
    });
  });

  it('refuses an unsigned token (alg none)', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${encode({ alg: 'none' })}.${encode({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'u',
      roles: ['compliance'],
      exp: now + 300,
    })}.`;
    expect(await authorise(`Bearer ${unsigned}`, jwt(), ['compliance'])).toMatchObject({
      status: 401,
    });
  });

  it('picks up a rotated key the issuer starts publishing', async () => {
    const next = await generateKeyPair('RS256');
    published = [...published, { ...(await exportJWK(next.publicKey)), kid: 'k2', alg: 'RS256' }];
    const auth = jwt();
    const before = jwksRequests;
    const signed = await token({ sub: 'u', roles: ['compliance'] }, { key: next, kid: 'k2' });
    expect(await authorise(`Bearer ${signed}`, auth, ['compliance'])).toMatchObject({ ok: true });
    expect(jwksRequests).toBeGreaterThan(before);
  });

  it('answers 503, not 401, when the issuer keys cannot be fetched', async () => {
    const down = jwtAuthenticator({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUri: 'http://127.0.0.1:9/keys',
      rolesClaim: 'roles',
    });
    const signed = await token({ sub: 'u', roles: ['compliance'] });
    expect(await authorise(`Bearer ${signed}`, down, ['compliance'])).toMatchObject({
      status: 503,
      code: 'AUTH_UNAVAILABLE',
    });
  });
});

describe('API_TOKENS and JWTs together', () => {
  it('accepts either', async () => {
    const auth = anyOf([tokenAuthenticator([{ role: 'agent', token: STATIC }]), jwt()]);
    const signed = await token({ sub: 'u', roles: ['compliance'] });
    expect(await authorise(`Bearer ${STATIC}`, auth, ['agent'])).toMatchObject({ ok: true });
    expect(await authorise(`Bearer ${signed}`, auth, ['compliance'])).toMatchObject({ ok: true });
    expect(await authorise('Bearer nope', auth, ['agent'])).toMatchObject({ status: 401 });
  });
});
