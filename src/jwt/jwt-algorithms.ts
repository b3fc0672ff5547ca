import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  KeyObject,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';

/** Every JWS algorithm nestjs-warden signs and verifies. `none` is not one of them, by design. */
export type JwtAlgorithm =
  'HS256' | 'HS384' | 'HS512' | 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

/** A key as users give it: a secret (string or Buffer), PEM text, a JWK, or a prepared `KeyObject`. */
export type KeyInput = string | Buffer | JsonWebKey | KeyObject;

interface AlgorithmSpec {
  family: 'HS' | 'RS' | 'PS' | 'ES' | 'EdDSA';
  hash: string | null;
  /** ES*: the exact IEEE P1363 signature length (r || s). */
  signatureLength?: number;
  curve?: string;
}

const SPECS: Record<JwtAlgorithm, AlgorithmSpec> = {
  HS256: { family: 'HS', hash: 'sha256' },
  HS384: { family: 'HS', hash: 'sha384' },
  HS512: { family: 'HS', hash: 'sha512' },
  RS256: { family: 'RS', hash: 'sha256' },
  RS384: { family: 'RS', hash: 'sha384' },
  RS512: { family: 'RS', hash: 'sha512' },
  PS256: { family: 'PS', hash: 'sha256' },
  PS384: { family: 'PS', hash: 'sha384' },
  PS512: { family: 'PS', hash: 'sha512' },
  ES256: { family: 'ES', hash: 'sha256', signatureLength: 64, curve: 'prime256v1' },
  ES384: { family: 'ES', hash: 'sha384', signatureLength: 96, curve: 'secp384r1' },
  ES512: { family: 'ES', hash: 'sha512', signatureLength: 132, curve: 'secp521r1' },
  EdDSA: { family: 'EdDSA', hash: null },
};

/** The smallest HMAC secret accepted (RFC 7518 §3.2: at least the hash size; 32 bytes for all HS*). */
export const MIN_SECRET_BYTES = 32;
/** The smallest RSA modulus accepted (RFC 7518 §3.3). */
export const MIN_RSA_BITS = 2048;

export const ALL_ALGORITHMS = Object.keys(SPECS) as JwtAlgorithm[];

export function isJwtAlgorithm(value: unknown): value is JwtAlgorithm {
  return typeof value === 'string' && Object.hasOwn(SPECS, value);
}

export function isSymmetric(algorithm: JwtAlgorithm): boolean {
  return SPECS[algorithm].family === 'HS';
}

/** Imports an HMAC secret once, refusing one that is too short. */
export function importSecret(secret: KeyInput, what: string): KeyObject {
  let key: KeyObject;
  if (secret instanceof KeyObject) {
    if (secret.type !== 'secret') throw new TypeError(`${what}: an HS* algorithm needs a secret key, not a ${secret.type} key`);
    key = secret;
  } else if (typeof secret === 'string' || Buffer.isBuffer(secret)) {
    key = createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
  } else if (typeof secret === 'object' && secret !== null && secret.kty === 'oct') {
    key = createSecretKey(secret as never, 'jwk' as never);
  } else {
    throw new TypeError(`${what}: the HS* secret must be a string, a Buffer, an "oct" JWK or a secret KeyObject`);
  }
  const size = key.symmetricKeySize ?? 0;
  if (size < MIN_SECRET_BYTES) {
    throw new TypeError(
      `${what}: the HS* secret is ${size} bytes; it must be at least ${MIN_SECRET_BYTES} bytes (generate one with \`openssl rand -base64 48\`)`,
    );
  }
  return key;
}

/** Imports a public key (PEM, JWK or KeyObject) once. A private key gives its public half. */
export function importPublicKey(input: KeyInput, what: string): KeyObject {
  try {
    if (input instanceof KeyObject) {
      if (input.type === 'secret') throw new TypeError('a secret KeyObject was given where a public key belongs');
      return input.type === 'private' ? createPublicKey(input) : input;
    }
    if (typeof input === 'string' || Buffer.isBuffer(input)) return createPublicKey(input);
    return createPublicKey({ key: input, format: 'jwk' });
  } catch (error) {
    throw new TypeError(`${what}: the public key could not be read (${(error as Error).message}); give PEM text, a JWK or a KeyObject`, {
      cause: error,
    });
  }
}

/** Imports a private key for signing (PEM, JWK or KeyObject). */
export function importPrivateKey(input: KeyInput, what: string): KeyObject {
  try {
    if (input instanceof KeyObject) {
      if (input.type !== 'private') throw new TypeError(`a ${input.type} KeyObject was given where a private key belongs`);
      return input;
    }
    if (typeof input === 'string' || Buffer.isBuffer(input)) return createPrivateKey(input);
    return createPrivateKey({ key: input, format: 'jwk' });
  } catch (error) {
    throw new TypeError(`${what}: the private key could not be read (${(error as Error).message})`, { cause: error });
  }
}

/**
 * Whether an asymmetric key may be used with an algorithm: the key type, the curve and
 * the RSA size must match, so an ES256 verifier never accepts a P-384 key and an RSA key
 * under 2048 bits is refused at start-up.
 */
export function keyMismatch(algorithm: JwtAlgorithm, key: KeyObject): string | null {
  const spec = SPECS[algorithm];
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  switch (spec.family) {
    case 'HS':
      return key.type === 'secret' ? null : `${algorithm} needs a secret`;
    case 'RS':
    case 'PS': {
      if (type !== 'rsa' && !(spec.family === 'PS' && type === 'rsa-pss')) return `${algorithm} needs an RSA key, got ${type}`;
      const bits = details.modulusLength ?? 0;
      return bits < MIN_RSA_BITS ? `${algorithm} needs an RSA key of at least ${MIN_RSA_BITS} bits, got ${bits}` : null;
    }
    case 'ES':
      if (type !== 'ec') return `${algorithm} needs an EC key, got ${type}`;
      return details.namedCurve === spec.curve ? null : `${algorithm} needs curve ${spec.curve}, got ${details.namedCurve}`;
    case 'EdDSA':
      return type === 'ed25519' || type === 'ed448' ? null : `EdDSA needs an Ed25519 or Ed448 key, got ${type}`;
  }
}

/** The algorithms a key can serve, best first. */
export function algorithmsForKey(key: KeyObject): JwtAlgorithm[] {
  return ALL_ALGORITHMS.filter((algorithm) => keyMismatch(algorithm, key) === null);
}

/** Checks a JWS signature. Never throws: any malformed signature is simply not valid. */
export function verifySignature(algorithm: JwtAlgorithm, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const spec = SPECS[algorithm];
  try {
    switch (spec.family) {
      case 'HS': {
        const expected = createHmac(spec.hash as string, key)
          .update(signingInput)
          .digest();
        return expected.length === signature.length && timingSafeEqual(expected, signature);
      }
      case 'RS':
        return verify(spec.hash, Buffer.from(signingInput), key, signature);
      case 'PS':
        return verify(
          spec.hash,
          Buffer.from(signingInput),
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        );
      case 'ES':
        // Only the fixed-length r || s form of RFC 7518 §3.4; DER and other lengths are refused.
        if (signature.length !== spec.signatureLength) return false;
        return verify(spec.hash, Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'EdDSA':
        return verify(null, Buffer.from(signingInput), key, signature);
    }
  } catch {
    // A signature OpenSSL cannot even parse is, by definition, not a valid signature.
    return false;
  }
}

/** Signs a JWS signing input. */
export function createSignature(algorithm: JwtAlgorithm, key: KeyObject, signingInput: string): Buffer {
  const spec = SPECS[algorithm];
  switch (spec.family) {
    case 'HS':
      return createHmac(spec.hash as string, key)
        .update(signingInput)
        .digest();
    case 'RS':
      return sign(spec.hash, Buffer.from(signingInput), key);
    case 'PS':
      return sign(spec.hash, Buffer.from(signingInput), {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    case 'ES':
      return sign(spec.hash, Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, Buffer.from(signingInput), key);
  }
}
