import { createHash, createHmac, sign, type KeyObject } from 'node:crypto';
import { csrfTokenDeriver } from '../../src/credentials/csrf-check.js';
import { API_KEY, AUDIENCE, ISSUER } from './corpus-app.js';
import { attackerEc, der, ed, HS_SECRET, jwkJson, OTHER_SECRET, otherRsa, P256_N, p256, p384, pem, rsa } from './corpus-keys.js';

export interface Expectation {
  status: number;
  code?: string;
}

/** One row of the corpus: what is sent, what must come back, and where the attack comes from. */
export interface CorpusRow {
  name: string;
  source: string;
  path: string;
  /** Raw header lines: name, value, name, value… */
  headers: string[];
  expect: Expectation;
  /** @default 'GET' */
  method?: string;
}

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);
const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  sub: 'corpus',
  iat: now(),
  exp: now() + 600,
  ...extra,
});

/** A token from raw header and payload JSON texts (so duplicate keys and odd numbers survive). */
function raw(headerJson: string, payloadJson: string, signer: (input: string) => string): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${signer(input)}`;
}
const hmac =
  (secret: string | Buffer, hash = 'sha256') =>
  (input: string): string =>
    createHmac(hash, secret).update(input).digest('base64url');
const asym =
  (key: KeyObject, hash: string | null, options: { dsaEncoding?: 'der' | 'ieee-p1363' } = {}) =>
  (input: string): string =>
    sign(hash, Buffer.from(input), { key, ...options }).toString('base64url');
const fixed = (signature: Buffer | string) => (): string => (typeof signature === 'string' ? signature : signature.toString('base64url'));

const hsToken = (payload: Record<string, unknown> = claims(), header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string =>
  raw(JSON.stringify(header), JSON.stringify(payload), hmac(HS_SECRET));

const bearer = (token: string): string[] => ['Authorization', `Bearer ${token}`];
const INVALID = { status: 401, code: 'token_invalid' };
const MALFORMED = { status: 401, code: 'token_malformed' };
const CLAIMS = { status: 401, code: 'token_claims_invalid' };
const EXPIRED = { status: 401, code: 'token_expired' };
const NOT_YET = { status: 401, code: 'token_not_yet_valid' };
const MISSING = { status: 401, code: 'credentials_missing' };
const OK = { status: 200 };
const KEY_INVALID = { status: 401, code: 'api_key_invalid' };
const CSRF = { status: 403, code: 'csrf_failed' };
const DENIED = { status: 403, code: 'permission_denied' };
const DOUBLED = { status: 400, code: 'invalid_request' };

export function corpusRows(): CorpusRow[] {
  const rows: CorpusRow[] = [];
  const add = (name: string, source: string, path: string, headers: string[], expect: Expectation): void => {
    rows.push({ name, source, path, headers, expect });
  };
  const payload = JSON.stringify(claims());

  // --- controls: valid tokens must be accepted, or the corpus could pass by refusing everything
  add('control: HS256', 'RFC 7519', '/hs', bearer(hsToken()), OK);
  add(
    'control: HS256 with lowercase scheme',
    'RFC 6750 §2.1 (scheme is case-insensitive)',
    '/hs',
    ['Authorization', `bearer ${hsToken()}`],
    OK,
  );
  add('control: HS256 with uppercase scheme', 'RFC 6750 §2.1', '/hs', ['Authorization', `BEARER ${hsToken()}`], OK);
  add('control: RS256', 'RFC 7518 §3.3', '/rs', bearer(raw('{"alg":"RS256"}', payload, asym(rsa.privateKey, 'sha256'))), OK);
  add(
    'control: mixed config, RS256',
    'RFC 8725 §3.1',
    '/mixed',
    bearer(raw('{"alg":"RS256"}', payload, asym(rsa.privateKey, 'sha256'))),
    OK,
  );
  add('control: mixed config, HS256', 'RFC 8725 §3.1', '/mixed', bearer(hsToken()), OK);
  add(
    'control: ES256 (P1363)',
    'RFC 7518 §3.4',
    '/es',
    bearer(raw('{"alg":"ES256"}', payload, asym(p256.privateKey, 'sha256', { dsaEncoding: 'ieee-p1363' }))),
    OK,
  );
  add('control: EdDSA', 'RFC 8037 §3.1', '/ed', bearer(raw('{"alg":"EdDSA"}', payload, asym(ed.privateKey, null))), OK);
  add(
    'control: issuer and audience match',
    'RFC 7519 §4.1.1, §4.1.3',
    '/claims',
    bearer(hsToken(claims({ iss: ISSUER, aud: AUDIENCE }))),
    OK,
  );
  add(
    'control: audience array containing ours',
    'RFC 7519 §4.1.3',
    '/claims',
    bearer(hsToken(claims({ iss: ISSUER, aud: ['other', AUDIENCE] }))),
    OK,
  );
  // Rows are built once, before both adapters run: a margin of seconds would expire on a loaded machine (the exact boundary is unit-tested in src/jwt).
  add('control: exp 30 seconds ahead', 'RFC 7519 §4.1.4', '/hs', bearer(hsToken(claims({ exp: now() + 30 }))), OK);
  add(
    'control: float exp in the future',
    'RFC 7519 §2 (NumericDate may be non-integer)',
    '/hs',
    bearer(hsToken(claims({ exp: now() + 600.5 }))),
    OK,
  );
  add(
    'control: expired 10 s ago within a 30 s leeway',
    'RFC 7519 §4.1.4 (clock skew)',
    '/leeway',
    bearer(hsToken(claims({ exp: now() - 10 }))),
    OK,
  );
  add('control: nbf in the past', 'RFC 7519 §4.1.5', '/hs', bearer(hsToken(claims({ nbf: now() - 60 }))), OK);
  add(
    'control: kid present (ignored with a static key)',
    'RFC 7515 §4.1.4',
    '/hs',
    bearer(hsToken(claims(), { alg: 'HS256', kid: 'k1' })),
    OK,
  );
  add('control: typ JWT', 'RFC 7519 §5.1', '/hs', bearer(hsToken(claims(), { alg: 'HS256', typ: 'JWT' })), OK);
  add(
    'control: duplicate "sub" in payload, signed (last value wins, signature covers the bytes)',
    'RFC 7515 §5.2 (lexically last member)',
    '/hs',
    bearer(raw('{"alg":"HS256"}', `{"sub":"a","sub":"corpus","exp":${now() + 600}}`, hmac(HS_SECRET))),
    OK,
  );

  // --- alg none (CVE-2015-9235 class, CVE-2022-23540)
  for (const alg of ['none', 'None', 'NONE', 'nOnE', 'NoNe']) {
    add(`alg "${alg}" without signature`, 'RFC 8725 §2.1, CVE-2015-9235', '/hs', bearer(`${b64({ alg })}.${b64(claims())}.`), INVALID);
    add(
      `alg "${alg}" with an HMAC signature`,
      'RFC 8725 §2.1',
      '/hs',
      bearer(raw(JSON.stringify({ alg }), payload, hmac(HS_SECRET))),
      INVALID,
    );
  }
  add('alg none against the RS256 route', 'CVE-2022-23540', '/rs', bearer(`${b64({ alg: 'none' })}.${b64(claims())}.`), INVALID);
  add('empty signature with alg HS256', 'RFC 7515 §5.2', '/hs', bearer(`${b64({ alg: 'HS256' })}.${b64(claims())}.`), INVALID);
  add(
    'signature of another token',
    'signature transplant',
    '/hs',
    bearer(`${b64({ alg: 'HS256' })}.${b64(claims({ sub: 'admin' }))}.${hsToken().split('.')[2]}`),
    INVALID,
  );
  add('alg missing', 'RFC 7515 §4.1.1', '/hs', bearer(raw('{"typ":"JWT"}', payload, hmac(HS_SECRET))), INVALID);
  add('alg is a number', 'RFC 7515 §4.1.1', '/hs', bearer(raw('{"alg":256}', payload, hmac(HS_SECRET))), INVALID);
  add('alg is null', 'RFC 7515 §4.1.1', '/hs', bearer(raw('{"alg":null}', payload, hmac(HS_SECRET))), INVALID);
  add('alg is an object', 'RFC 7515 §4.1.1', '/hs', bearer(raw('{"alg":{"name":"HS256"}}', payload, hmac(HS_SECRET))), INVALID);
  add('alg is an array', 'RFC 7515 §4.1.1', '/hs', bearer(raw('{"alg":["HS256"]}', payload, hmac(HS_SECRET))), INVALID);
  add(
    'alg HS512 not in the allowed list',
    'RFC 8725 §3.1',
    '/hs',
    bearer(raw('{"alg":"HS512"}', payload, hmac(HS_SECRET, 'sha512'))),
    INVALID,
  );
  add(
    'alg "hs256" (wrong case)',
    'RFC 7515 §4.1.1 (case-sensitive)',
    '/hs',
    bearer(raw('{"alg":"hs256"}', payload, hmac(HS_SECRET))),
    INVALID,
  );
  add('alg "HS256 " (trailing space)', 'algorithm spoofing', '/hs', bearer(raw('{"alg":"HS256 "}', payload, hmac(HS_SECRET))), INVALID);

  // --- key confusion: the public key used as an HMAC secret (CVE-2016-10555, CVE-2022-23541, CVE-2023-48223)
  const forms: Array<[string, string | Buffer, string]> = [
    ['SPKI PEM', pem(rsa.publicKey, 'spki'), 'CVE-2016-10555'],
    ['PKCS#1 PEM (BEGIN RSA PUBLIC KEY)', pem(rsa.publicKey, 'pkcs1'), 'CVE-2023-48223'],
    ['JWK JSON', jwkJson(rsa.publicKey), 'CVE-2022-23541'],
    ['raw DER', der(rsa.publicKey), 'CVE-2022-23541'],
  ];
  for (const [form, secret, cve] of forms) {
    add(`RS→HS confusion, ${form}, RS256-only route`, cve, '/rs', bearer(raw('{"alg":"HS256"}', payload, hmac(secret))), INVALID);
    add(`RS→HS confusion, ${form}, HS256+RS256 route`, cve, '/mixed', bearer(raw('{"alg":"HS256"}', payload, hmac(secret))), INVALID);
  }
  add(
    'ES→HS confusion, SPKI PEM',
    'CVE-2022-23541',
    '/es',
    bearer(raw('{"alg":"HS256"}', payload, hmac(pem(p256.publicKey, 'spki')))),
    INVALID,
  );
  add(
    'ES→HS confusion, JWK JSON',
    'CVE-2022-23541',
    '/es',
    bearer(raw('{"alg":"HS256"}', payload, hmac(jwkJson(p256.publicKey)))),
    INVALID,
  );
  add(
    'EdDSA→HS confusion, SPKI PEM',
    'CVE-2022-23541',
    '/ed',
    bearer(raw('{"alg":"HS256"}', payload, hmac(pem(ed.publicKey, 'spki')))),
    INVALID,
  );
  add(
    'RS256 token signed by another RSA key',
    'CVE-2022-23539 (insecure key use)',
    '/rs',
    bearer(raw('{"alg":"RS256"}', payload, asym(otherRsa.privateKey, 'sha256'))),
    INVALID,
  );
  add(
    'PS256 token on an RS256 route',
    'RFC 8725 §3.1',
    '/rs',
    bearer(raw('{"alg":"PS256"}', payload, asym(rsa.privateKey, 'sha256'))),
    INVALID,
  );
  add(
    'RS256 on the ES256 route',
    'CVE-2022-23539',
    '/es',
    bearer(raw('{"alg":"RS256"}', payload, asym(rsa.privateKey, 'sha256'))),
    INVALID,
  );
  add('HS256 with the secret of another app', 'RFC 7518 §3.2', '/hs', bearer(raw('{"alg":"HS256"}', payload, hmac(OTHER_SECRET))), INVALID);
  add('HS256 with an empty secret', 'CVE-2022-23539', '/hs', bearer(raw('{"alg":"HS256"}', payload, hmac(''))), INVALID);

  // --- ECDSA (CVE-2022-21449 "psychic signatures")
  const es = (signature: Buffer | string, alg = 'ES256'): string[] => bearer(raw(JSON.stringify({ alg }), payload, fixed(signature)));
  add('ECDSA r = s = 0', 'CVE-2022-21449', '/es', es(Buffer.alloc(64)), INVALID);
  add('ECDSA r = s = n', 'CVE-2022-21449', '/es', es(Buffer.concat([P256_N, P256_N])), INVALID);
  add('ECDSA r = 0, s = 1', 'CVE-2022-21449', '/es', es(Buffer.concat([Buffer.alloc(32), Buffer.alloc(31), Buffer.from([1])])), INVALID);
  add(
    'ECDSA DER-encoded signature',
    'RFC 7518 §3.4 (R || S only)',
    '/es',
    bearer(raw('{"alg":"ES256"}', payload, asym(p256.privateKey, 'sha256', { dsaEncoding: 'der' }))),
    INVALID,
  );
  add('ECDSA signature one byte short', 'RFC 7518 §3.4', '/es', es(Buffer.alloc(63, 1)), INVALID);
  add('ECDSA signature one byte long', 'RFC 7518 §3.4', '/es', es(Buffer.alloc(65, 1)), INVALID);
  add(
    'P-384 signature under ES256',
    'RFC 7518 §3.4',
    '/es',
    bearer(raw('{"alg":"ES256"}', payload, asym(p384.privateKey, 'sha384', { dsaEncoding: 'ieee-p1363' }))),
    INVALID,
  );
  add(
    'ES384 on the ES256 route',
    'RFC 8725 §3.1',
    '/es',
    bearer(raw('{"alg":"ES384"}', payload, asym(p384.privateKey, 'sha384', { dsaEncoding: 'ieee-p1363' }))),
    INVALID,
  );
  add('EdDSA signature of zeros', 'RFC 8032 §5.1.7', '/ed', bearer(raw('{"alg":"EdDSA"}', payload, fixed(Buffer.alloc(64)))), INVALID);
  add('EdDSA signature truncated', 'RFC 8032 §5.1.7', '/ed', bearer(raw('{"alg":"EdDSA"}', payload, fixed(Buffer.alloc(32, 7)))), INVALID);

  // --- header-supplied keys and extensions (RFC 8725 §3.10, §2.6)
  const attackerJwk = attackerEc.publicKey.export({ format: 'jwk' });
  add(
    'embedded jwk header with the attacker key',
    'CVE-2018-0114',
    '/es',
    bearer(
      raw(
        JSON.stringify({ alg: 'ES256', jwk: attackerJwk }),
        payload,
        asym(attackerEc.privateKey, 'sha256', { dsaEncoding: 'ieee-p1363' }),
      ),
    ),
    INVALID,
  );
  add(
    'kid with path traversal',
    'RFC 8725 §3.10',
    '/hs',
    bearer(raw('{"alg":"HS256","kid":"../../../../dev/null"}', payload, hmac(''))),
    INVALID,
  );
  add(
    'kid with SQL injection',
    'RFC 8725 §3.10',
    '/hs',
    bearer(raw(`{"alg":"HS256","kid":"x' UNION SELECT 'key' --"}`, payload, hmac('key'))),
    INVALID,
  );
  add(
    'crit with an unknown name',
    'RFC 7515 §4.1.11',
    '/hs',
    bearer(hsToken(claims(), { alg: 'HS256', crit: ['x-unknown'], 'x-unknown': 1 })),
    INVALID,
  );
  add('crit empty array', 'RFC 7515 §4.1.11', '/hs', bearer(hsToken(claims(), { alg: 'HS256', crit: [] })), INVALID);
  add(
    'b64: false (unencoded payload)',
    'RFC 7797 §6',
    '/hs',
    bearer(hsToken(claims(), { alg: 'HS256', b64: false, crit: ['b64'] })),
    INVALID,
  );
  add(
    'duplicate alg in header: none then HS256 (signed)',
    'RFC 7515 §5.2 (last member wins)',
    '/hs',
    bearer(raw('{"alg":"none","alg":"HS256"}', payload, hmac(HS_SECRET))),
    OK,
  );
  add(
    'duplicate alg in header: HS256 then none',
    'RFC 7515 §5.2',
    '/hs',
    bearer(raw('{"alg":"HS256","alg":"none"}', payload, hmac(HS_SECRET))),
    INVALID,
  );
  add(
    'duplicate exp in payload: future then past',
    'RFC 7515 §5.2 (last member wins)',
    '/hs',
    bearer(raw('{"alg":"HS256"}', `{"sub":"x","exp":${now() + 600},"exp":${now() - 600}}`, hmac(HS_SECRET))),
    EXPIRED,
  );

  // --- payload shape
  for (const [name, json] of [
    ['an array', '[1,2,3]'],
    ['a string', '"sub"'],
    ['null', 'null'],
    ['a number', '42'],
    ['not JSON', '{sub:1}'],
  ] as const) {
    add(`payload is ${name} (signed)`, 'RFC 7519 §7.2 step 10', '/hs', bearer(raw('{"alg":"HS256"}', json, hmac(HS_SECRET))), MALFORMED);
  }
  add('payload is an array (forged)', 'RFC 7519 §7.2', '/hs', bearer(raw('{"alg":"HS256"}', '[]', hmac(OTHER_SECRET))), INVALID);
  add('header is an array', 'RFC 7515 §4', '/hs', bearer(raw('["HS256"]', payload, hmac(HS_SECRET))), MALFORMED);
  add('header is not JSON', 'RFC 7515 §4', '/hs', bearer(raw('alg=HS256', payload, hmac(HS_SECRET))), MALFORMED);
  add('header is null', 'RFC 7515 §4', '/hs', bearer(raw('null', payload, hmac(HS_SECRET))), MALFORMED);

  // --- time claims
  const timed = (name: string, json: string, expect: Expectation, source = 'RFC 7519 §4.1.4'): void =>
    add(name, source, '/hs', bearer(raw('{"alg":"HS256"}', json, hmac(HS_SECRET))), expect);
  timed('exp equal to now is expired', `{"sub":"x","exp":${now()}}`, EXPIRED, 'RFC 7519 §4.1.4 ("on or after")');
  timed('exp one second ago', `{"sub":"x","exp":${now() - 1}}`, EXPIRED);
  timed('exp negative', '{"sub":"x","exp":-1}', EXPIRED);
  timed('exp zero', '{"sub":"x","exp":0}', EXPIRED);
  timed('exp as a string', `{"sub":"x","exp":"${now() + 600}"}`, CLAIMS);
  timed('exp as a boolean', '{"sub":"x","exp":true}', CLAIMS);
  timed('exp as null', '{"sub":"x","exp":null}', CLAIMS);
  timed('exp as an array', `{"sub":"x","exp":[${now() + 600}]}`, CLAIMS);
  timed('exp 1e309 (Infinity)', '{"sub":"x","exp":1e309}', CLAIMS);
  timed('exp missing', '{"sub":"x"}', CLAIMS, 'RFC 8725 §3.10 (required claims)');
  timed('exp far in the past, float', '{"sub":"x","exp":1.5}', EXPIRED);
  timed('nbf in the future', `{"sub":"x","exp":${now() + 600},"nbf":${now() + 300}}`, NOT_YET, 'RFC 7519 §4.1.5');
  timed('nbf as a string', `{"sub":"x","exp":${now() + 600},"nbf":"0"}`, CLAIMS, 'RFC 7519 §4.1.5');
  timed('nbf 1e309', `{"sub":"x","exp":${now() + 600},"nbf":1e309}`, CLAIMS, 'RFC 7519 §4.1.5');
  timed('nbf far future', `{"sub":"x","exp":${now() + 600},"nbf":99999999999}`, NOT_YET, 'RFC 7519 §4.1.5');
  timed('iat as a string', `{"sub":"x","exp":${now() + 600},"iat":"now"}`, CLAIMS, 'RFC 7519 §4.1.6');
  timed('iat as an object', `{"sub":"x","exp":${now() + 600},"iat":{}}`, CLAIMS, 'RFC 7519 §4.1.6');
  timed('iat 1e309', `{"sub":"x","exp":${now() + 600},"iat":1e309}`, CLAIMS, 'RFC 7519 §4.1.6');
  timed(
    'control: sub as a number (read as its string form)',
    `{"sub":42,"exp":${now() + 600}}`,
    OK,
    'RFC 7519 §4.1.2, API.md (sub → userId string)',
  );
  timed(
    'control: jti as an object (not a string: never matches a revocation, accepted as jose does)',
    `{"sub":"x","jti":{},"exp":${now() + 600}}`,
    OK,
    'RFC 7519 §4.1.7',
  );
  add(
    'expired and forged: signature reported first',
    'verification order (API.md)',
    '/hs',
    bearer(raw('{"alg":"HS256"}', '{"sub":"x","exp":1}', hmac(OTHER_SECRET))),
    INVALID,
  );
  add('expired beyond the leeway', 'RFC 7519 §4.1.4', '/leeway', bearer(hsToken(claims({ exp: now() - 60 }))), EXPIRED);

  // --- issuer and audience (CVE-2025-30144 class)
  const aud = (name: string, extra: Record<string, unknown>, expect: Expectation = CLAIMS): void =>
    add(name, 'RFC 7519 §4.1.1/§4.1.3, CVE-2025-30144', '/claims', bearer(hsToken(claims(extra))), expect);
  // A backend with `issuer` passes another issuer's token on (several issuers side by side); one no
  // backend takes is token_invalid, decided before any signature work (no key for that issuer).
  aud('iss missing', { aud: AUDIENCE }, INVALID);
  aud('iss as an array containing ours', { iss: [ISSUER], aud: AUDIENCE }, INVALID);
  aud('iss empty', { iss: '', aud: AUDIENCE }, INVALID);
  aud('iss with our issuer as a prefix', { iss: `${ISSUER}.evil.example`, aud: AUDIENCE }, INVALID);
  aud('iss differing in case', { iss: ISSUER.toUpperCase(), aud: AUDIENCE }, INVALID);
  aud('aud missing', { iss: ISSUER });
  aud('aud empty string', { iss: ISSUER, aud: '' });
  aud('aud empty array', { iss: ISSUER, aud: [] });
  aud('aud with our audience as a prefix', { iss: ISSUER, aud: `${AUDIENCE}.evil` });
  aud('aud with our audience as a suffix', { iss: ISSUER, aud: `evil.${AUDIENCE}` });
  aud('aud array of other audiences', { iss: ISSUER, aud: ['a', 'b'] });
  aud('aud array with a nested array', { iss: ISSUER, aud: [[AUDIENCE]] });
  aud('aud as an object', { iss: ISSUER, aud: { 0: AUDIENCE } });
  aud('aud as a number', { iss: ISSUER, aud: 1 });

  // --- shape and length
  add('two segments', 'RFC 7515 §7.1', '/hs', bearer('abc.def'), MALFORMED);
  add('four segments', 'RFC 7515 §7.1', '/hs', bearer(`${hsToken()}.x`), MALFORMED);
  add('JWE-shaped token (5 segments)', 'RFC 7516 §7.1', '/hs', bearer('eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d'), MALFORMED);
  add('one segment', 'RFC 7515 §7.1', '/hs', bearer('abcdef'), MALFORMED);
  add('empty header segment', 'RFC 7515 §7.1', '/hs', bearer(`.${b64(claims())}.sig`), MALFORMED);
  add(
    'standard base64 with padding',
    'RFC 7515 §2 (base64url, no padding)',
    '/hs',
    bearer(`${Buffer.from('{"alg":"HS256"}').toString('base64')}.${b64(claims())}.x`),
    MALFORMED,
  );
  add('"+" and "/" characters', 'RFC 7515 §2', '/hs', bearer('ab+c.de/f.gh'), MALFORMED);
  add('impossible base64url length (4n+1)', 'RFC 4648 §5', '/hs', bearer(`${b64({ alg: 'HS256' })}.${b64(claims())}.abcde`), MALFORMED);
  add('token of 8 KiB + 1', 'resource exhaustion', '/hs', bearer(`${b64({ alg: 'HS256' })}.${'A'.repeat(8193)}.sig`), MALFORMED);
  add('control: a large token just under 8 KiB', 'maxTokenLength boundary', '/hs', bearer(hsToken(claims({ pad: 'x'.repeat(5800) }))), OK);
  add('token of 1 MB (refused by the HTTP server)', 'resource exhaustion', '/hs', bearer('A'.repeat(1024 * 1024)), { status: 431 });
  add('NUL byte inside the token', 'injection', '/hs', ['Authorization', `Bearer ${hsToken()}%00`], MALFORMED);
  add(
    'a refresh token used as an access token',
    'token substitution (RFC 8725 §2.8)',
    '/hs',
    bearer(hsToken(claims({ type: 'refresh' }))),
    CLAIMS,
  );
  add('an id token (typ other) used as an access token', 'RFC 8725 §3.11', '/hs', bearer(hsToken(claims({ type: 'id' }))), CLAIMS);

  // --- scheme and header handling (RFC 6750)
  add('no Authorization header', 'RFC 6750 §3.1', '/hs', [], MISSING);
  add('two Authorization headers', 'RFC 6750 §3.1 (invalid_request)', '/hs', [...bearer(hsToken()), ...bearer(hsToken())], {
    status: 400,
    code: 'invalid_request',
  });
  add('two Authorization headers, second forged', 'RFC 6750 §3.1', '/hs', [...bearer(hsToken()), ...bearer('x.y.z')], {
    status: 400,
    code: 'invalid_request',
  });
  add('scheme only', 'RFC 6750 §2.1', '/hs', ['Authorization', 'Bearer'], MALFORMED);
  add('doubled scheme', 'RFC 6750 §2.1', '/hs', ['Authorization', `Bearer Bearer ${hsToken()}`], MALFORMED);
  add('two spaces after the scheme', 'RFC 6750 §2.1', '/hs', ['Authorization', `Bearer  ${hsToken()}`], MALFORMED);
  add('tab after the scheme', 'RFC 6750 §2.1', '/hs', ['Authorization', `Bearer\t${hsToken()}`], MALFORMED);
  add('no space after the scheme', 'RFC 6750 §2.1', '/hs', ['Authorization', `Bearer${hsToken()}`], MALFORMED);
  add('token then trailing garbage', 'RFC 6750 §2.1', '/hs', ['Authorization', `Bearer ${hsToken()} extra`], MALFORMED);
  add('Cyrillic look-alike scheme', 'Unicode homoglyph', '/hs', ['Authorization', `Веаrer ${hsToken()}`], MISSING);
  add('Basic scheme', 'RFC 7617', '/hs', ['Authorization', 'Basic dXNlcjpwYXNz'], MISSING);
  add('empty Authorization header', 'RFC 6750 §3.1', '/hs', ['Authorization', ''], MISSING);

  // --- API keys (constant-time comparison of SHA-256 digests)
  const apiKey = (value: string): string[] => ['X-API-Key', value];
  const flip = (value: string, index: number): string =>
    value.slice(0, index) + (value[index] === 'a' ? 'b' : 'a') + value.slice(index + 1);
  add('API key: the right key (control)', 'control', '/key', apiKey(API_KEY), OK);
  add('API key: last byte differs', 'byte-at-a-time guessing (CWE-208)', '/key', apiKey(flip(API_KEY, API_KEY.length - 1)), KEY_INVALID);
  add('API key: first byte differs', 'CWE-208', '/key', apiKey(flip(API_KEY, 0)), KEY_INVALID);
  add('API key: the key minus its last byte', 'prefix match (CWE-208)', '/key', apiKey(API_KEY.slice(0, -1)), KEY_INVALID);
  add('API key: the key plus one byte', 'prefix match (CWE-208)', '/key', apiKey(`${API_KEY}0`), KEY_INVALID);
  add('API key: the key in upper case', 'case folding', '/key', apiKey(API_KEY.toUpperCase()), KEY_INVALID);
  add(
    'API key: its SHA-256 digest sent as the key',
    'hash used as a password (pass-the-hash)',
    '/key',
    apiKey(createHash('sha256').update(API_KEY).digest('hex')),
    KEY_INVALID,
  );
  add('API key: a JWT sent as the key', 'credential confusion', '/key', apiKey(hsToken()), KEY_INVALID);
  add('API key: 8 KiB of key', 'resource exhaustion (CWE-400)', '/key', apiKey('k'.repeat(8192)), KEY_INVALID);
  add('API key: the key twice', 'header duplication (RFC 9110 §5.3)', '/key', [...apiKey(API_KEY), ...apiKey(API_KEY)], DOUBLED);
  add(
    'API key: a wrong key, then the right one',
    'header duplication (RFC 9110 §5.3)',
    '/key',
    [...apiKey('wrong'), ...apiKey(API_KEY)],
    DOUBLED,
  );
  add('API key: the key as a Bearer token', 'credential confusion', '/key', bearer(API_KEY), MISSING);
  add(
    'API key: the right key without the permission the route needs',
    'broken function-level authorization (OWASP API5)',
    '/key/write',
    apiKey(API_KEY),
    DENIED,
  );

  // --- tokens in cookies: double-submit CSRF bound to the login (`fam`)
  const csrf = { tokenFor: csrfTokenDeriver({ secret: HS_SECRET })! };
  const family = 'corpus-family-1';
  const cookieToken = hsToken(claims({ fam: family }));
  const cookie = (token: string): string[] => ['Cookie', `access_token=${token}`];
  const csrfHeader = (value: string): string[] => ['X-CSRF-Token', value];
  const post = (name: string, source: string, headers: string[], expect: Expectation): void => {
    rows.push({ name, source, path: '/cookie', headers, expect, method: 'POST' });
  };
  add('cookie: a valid access token on a safe method (control)', 'control', '/cookie', cookie(cookieToken), OK);
  post("cookie: POST with the login's CSRF token (control)", 'control', [...cookie(cookieToken), ...csrfHeader(csrf.tokenFor(family))], OK);
  post('cookie: bearer POST needs no CSRF token (control)', 'RFC 6750 §2.1', bearer(cookieToken), OK);
  post('cookie: POST without the CSRF header', 'CSRF (OWASP double-submit cookie)', cookie(cookieToken), CSRF);
  post(
    'cookie: POST with the CSRF token of another login',
    'CSRF token fixation',
    [...cookie(cookieToken), ...csrfHeader(csrf.tokenFor('corpus-family-2'))],
    CSRF,
  );
  post(
    'cookie: POST with a CSRF token one byte off',
    'CSRF (CWE-352)',
    [...cookie(cookieToken), ...csrfHeader(flip(csrf.tokenFor(family), 3))],
    CSRF,
  );
  post('cookie: POST with an empty CSRF header', 'CSRF (CWE-352)', [...cookie(cookieToken), ...csrfHeader('')], CSRF);
  post(
    'cookie: POST with the CSRF token in a cookie only',
    'cookie-only double submit',
    [...cookie(cookieToken), 'Cookie', `csrf_token=${csrf.tokenFor(family)}`],
    CSRF,
  );
  post(
    'cookie: POST with a token that has no login family',
    'CSRF (CWE-352)',
    [...cookie(hsToken()), ...csrfHeader(csrf.tokenFor(family))],
    CSRF,
  );
  post(
    'cookie: POST with the CSRF token computed under another key',
    'forged CSRF token',
    [...cookie(cookieToken), ...csrfHeader(csrfTokenDeriver({ secret: OTHER_SECRET })!(family))],
    CSRF,
  );
  add(
    'cookie: a forged token in the cookie',
    'RFC 7515 §5.2',
    '/cookie',
    cookie(raw(JSON.stringify({ alg: 'HS256' }), JSON.stringify(claims({ fam: family })), hmac(OTHER_SECRET))),
    INVALID,
  );
  add(
    'cookie: a refresh token in the access cookie',
    'token substitution (RFC 8725 §2.8)',
    '/cookie',
    cookie(hsToken(claims({ type: 'refresh', fam: family }))),
    CLAIMS,
  );
  add('cookie: alg none in the cookie', 'CVE-2015-9235', '/cookie', cookie(`${b64({ alg: 'none' })}.${b64(claims())}.`), INVALID);
  return rows;
}
