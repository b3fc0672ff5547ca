import { generateKeyPairSync, type KeyObject } from 'node:crypto';

/** Keys of the corpus, generated once per run. */
export const HS_SECRET = 'corpus-hs256-secret-with-at-least-32-bytes!';
export const OTHER_SECRET = 'a-different-secret-also-at-least-32-bytes!!';
export const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
export const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
export const ed = generateKeyPairSync('ed25519');
export const attackerEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });

export const pem = (key: KeyObject, type: 'spki' | 'pkcs1'): string => key.export({ format: 'pem', type }) as string;
export const der = (key: KeyObject): Buffer => key.export({ format: 'der', type: 'spki' });
export const jwkJson = (key: KeyObject): string => JSON.stringify(key.export({ format: 'jwk' }));

/** The P-256 group order n (for r = s = n). */
export const P256_N = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
