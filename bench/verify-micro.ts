/**
 * The verify micro-benchmark, in its own process: ops/s of one token verification per
 * algorithm, for nestjs-warden's verifier, raw node:crypto, jose and jsonwebtoken.
 */
import { createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import { JwtAuthentication } from 'nestjs-warden';
import { readFileSync } from 'node:fs';
import { ALGORITHMS, type BenchAlgorithm, type Fixtures } from './fixtures.js';

export interface MicroRequest {
  fixtures: Fixtures;
  /** Milliseconds measured per cell. */
  durationMs: number;
  /** Files of distinct valid and forged tokens per algorithm (the HTTP rows' sets), for the miss path. */
  missTokens: Record<BenchAlgorithm, { valid: string; forged: string }>;
}
export const IMPLEMENTATIONS = ['nestjs-warden', 'node:crypto (raw)', 'jose', 'jsonwebtoken'] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];
/** The miss path: distinct tokens, more than the verified-token cache holds, cycled in order. */
export const MISS_COLUMNS = ['nestjs-warden, distinct', 'node:crypto (raw), distinct', 'nestjs-warden, forged (refused)'] as const;
export type MissColumn = (typeof MISS_COLUMNS)[number];
/** ops/s per algorithm and implementation (`null` when the library does not support it), and of the miss path. */
export type MicroResult = Record<BenchAlgorithm, Record<Implementation, number | null>> & {
  miss: Record<BenchAlgorithm, Record<MissColumn, number>>;
};

type Verify = () => unknown;

/** A hand-written verifier: prepared key, one signature check, the payload parsed, `exp` checked. */
function rawVerifier(alg: BenchAlgorithm, key: KeyObject): (token: string) => unknown {
  return (token) => {
    const second = token.lastIndexOf('.');
    const input = token.slice(0, second);
    const signature = Buffer.from(token.slice(second + 1), 'base64url');
    let ok: boolean;
    if (alg === 'HS256') {
      const expected = createHmac('sha256', key).update(input).digest();
      ok = expected.length === signature.length && timingSafeEqual(expected, signature);
    } else if (alg === 'ES256') {
      ok = verify('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }, signature);
    } else {
      ok = verify(alg === 'EdDSA' ? null : 'sha256', Buffer.from(input), key, signature);
    }
    if (!ok) throw new Error('bad signature');
    const payload = JSON.parse(Buffer.from(input.slice(input.indexOf('.') + 1), 'base64url').toString()) as { exp: number };
    if (payload.exp <= Date.now() / 1000) throw new Error('expired');
    return payload;
  };
}

async function measure(fn: Verify, durationMs: number): Promise<number> {
  const run = async (ms: number): Promise<number> => {
    const start = performance.now();
    let count = 0;
    let elapsed = 0;
    do {
      for (let i = 0; i < 100; i++) {
        const result = fn();
        if (result instanceof Promise) await result;
      }
      count += 100;
      elapsed = performance.now() - start;
    } while (elapsed < ms);
    return (count * 1000) / elapsed;
  };
  await run(durationMs / 4);
  return run(durationMs);
}

async function main(request: MicroRequest): Promise<MicroResult> {
  const { fixtures, durationMs } = request;
  const result = {} as MicroResult;
  for (const alg of ALGORITHMS) {
    const token = fixtures.tokens[alg];
    const pem = alg === 'HS256' ? undefined : fixtures.publicKeys[alg];
    const key = pem === undefined ? createSecretKey(Buffer.from(fixtures.secret)) : createPublicKey(pem);
    const backend =
      pem === undefined
        ? new JwtAuthentication({ secret: fixtures.secret, algorithms: [alg], cacheSize: 0 })
        : new JwtAuthentication({ publicKey: pem, algorithms: [alg], cacheSize: 0 });
    const raw = rawVerifier(alg, key);
    const candidates: Record<Implementation, Verify | null> = {
      'nestjs-warden': () => backend.verify(token),
      'node:crypto (raw)': () => raw(token),
      jose: () => jwtVerify(token, key, { algorithms: [alg] }),
      // What users of jsonwebtoken write: the secret (or PEM) as a string, re-imported per call.
      jsonwebtoken: alg === 'EdDSA' ? null : () => jwt.verify(token, pem ?? fixtures.secret, { algorithms: [alg] }),
    };
    const row = {} as Record<Implementation, number | null>;
    for (const name of IMPLEMENTATIONS) {
      const fn = candidates[name];
      if (fn === null) {
        row[name] = null;
        continue;
      }
      await fn(); // throws here, before any timing, if a verifier refuses the token
      row[name] = await measure(fn, durationMs);
    }
    result[alg] = row;
  }
  result.miss = {} as MicroResult['miss'];
  for (const alg of ALGORITHMS) result.miss[alg] = await missPath(fixtures, alg, request.missTokens[alg], durationMs);
  return result;
}

/** ops/s of a verification that the cache cannot answer: nestjs-warden (default cache) and raw, on the same tokens. */
async function missPath(
  fixtures: Fixtures,
  alg: BenchAlgorithm,
  files: { valid: string; forged: string },
  durationMs: number,
): Promise<Record<MissColumn, number>> {
  const tokens = readFileSync(files.valid, 'utf8').split('\n');
  const forged = readFileSync(files.forged, 'utf8').split('\n');
  const pem = alg === 'HS256' ? undefined : fixtures.publicKeys[alg];
  const backend =
    pem === undefined
      ? new JwtAuthentication({ secret: fixtures.secret, algorithms: [alg] })
      : new JwtAuthentication({ publicKey: pem, algorithms: [alg] });
  const raw = rawVerifier(alg, pem === undefined ? createSecretKey(Buffer.from(fixtures.secret)) : createPublicKey(pem));
  const rotate = (list: string[], verify: (token: string) => unknown): Verify => {
    let next = 0;
    return () => verify(list[next++ % list.length]!);
  };
  const refused = (token: string): unknown => {
    try {
      backend.verify(token);
    } catch (error) {
      return error;
    }
    throw new Error('a forged token was accepted');
  };
  return {
    'nestjs-warden, distinct': await measure(
      rotate(tokens, (token) => backend.verify(token)),
      durationMs,
    ),
    'node:crypto (raw), distinct': await measure(rotate(tokens, raw), durationMs),
    'nestjs-warden, forged (refused)': await measure(rotate(forged, refused), durationMs),
  };
}

process.on('disconnect', () => process.exit(0));
process.once('message', (raw: unknown) => {
  main(raw as MicroRequest).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (error: unknown) => {
      process.stderr.write(`micro-benchmark failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
});
