import { randomUUID } from 'node:crypto';
import type { OnModuleInit } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants.js';
import type { ModulesContainer } from '@nestjs/core';
import { dependentsOf } from './auth.dependents.js';
import { AUTH_MODULE_OPTIONS } from './auth.module-definition.js';
import type { AuthModuleOptions } from './auth.options.js';
import type { AuthenticationBackend } from './backends/authentication-backend.interface.js';
import { JwtAuthentication } from './backends/jwt.backend.js';
import { isSymmetric } from './jwt/jwt-algorithms.js';
import type { ProbeVerdict } from './jwt/jwt-probe.js';
import type { TokenSigner } from './jwt/token-signer.js';
import { TokenService } from './tokens/token.service.js';

/** The token of the provider that runs {@link startupChecks}. */
export const AUTH_REGISTRATION_CHECK = Symbol('warden:registration-check');

/**
 * Start-up checks on how the app uses the module, run by a provider of `AuthModule`: while
 * Nest builds the app (the scan is complete by then), that the module is registered once;
 * once every instance exists (`onModuleInit`, which `listen()` and `init()` run), that
 * `TokenService` is injected only when `tokens` is configured. Each throws a `TypeError` that
 * says what to fix.
 */
export function startupChecks(options: AuthModuleOptions, modules: ModulesContainer): OnModuleInit {
  checkRegistration(modules);
  return { onModuleInit: () => checkTokenServiceUse(options, modules) };
}

function checkRegistration(modules: ModulesContainer): void {
  const registrations = [...modules.values()].filter((moduleRef) => moduleRef.providers.has(AUTH_MODULE_OPTIONS));
  if (registrations.length > 1) {
    const types = new Set<unknown>(registrations.map((moduleRef) => moduleRef.metatype));
    const importers = [...modules.values()].flatMap((moduleRef) =>
      declaredImports(moduleRef.metatype)
        .filter((entry) => types.has(typeof entry === 'object' && entry !== null && 'module' in entry ? entry.module : entry))
        .map(() => moduleRef.name),
    );
    throw new TypeError(
      `AuthModule is registered ${registrations.length} times${importers.length > 0 ? ` (imported by ${importers.join(', ')})` : ''}: ` +
        'import AuthModule.forRoot() or forRootAsync() once, in the root module. It is global by default, so every module can inject ' +
        'TokenService and AuthContextService without importing it again; two registrations would install two global guards, ' +
        'each running every request with its own configuration.',
    );
  }
}

function checkTokenServiceUse(options: AuthModuleOptions, modules: ModulesContainer): void {
  // Options that are not an object are AuthConfig's to report.
  if (typeof options !== 'object' || options === null || options.tokens !== undefined) return;
  const dependents = dependentsOf(modules, TokenService);
  if (dependents.length > 0) {
    throw new TypeError(
      `AuthModule: ${dependents.join(', ')} ${dependents.length > 1 ? 'inject' : 'injects'} TokenService, but \`tokens\` is not ` +
        "configured, so every call would throw: add tokens to AuthModule.forRoot(), e.g. tokens: { secret: process.env.JWT_SECRET, algorithm: 'HS256' }",
    );
  }
}

/** A module's `imports` as declared on its class (dynamic modules included as objects). */
function declaredImports(metatype: Function): unknown[] {
  return (Reflect.getMetadata(MODULE_METADATA.IMPORTS, metatype) as unknown[] | undefined) ?? [];
}

/**
 * The `tokens` self-check, run once every backend in use is set up: signs a probe token with
 * the signer `TokenService` uses and asks each `JwtAuthentication` in use whether it would
 * accept it. Throws a `TypeError` naming each backend's reason when none would (every token
 * the app issues would then be refused with 401).
 *
 * It passes when no `JwtAuthentication` is in use (tokens may be meant for another service,
 * and `TokenService` verifies its own), and when a JWKS backend accepts the algorithm and
 * claims: its keys are remote, and fetching them at start-up would make booting depend on
 * the network (or on the app itself, when it serves the key set). The same holds for a
 * subclass with its own `keyFor`, which is never called at start-up.
 *
 * The probe is born expired (`iat` and `exp` in 1970, judged as of its `iat`), so it can
 * never authenticate a request; it is judged offline, never cached, never sent to the
 * revocation store, and dropped when the check returns.
 *
 * @param backends the backends in use, each with where it was declared (for the message).
 */
export function assertTokensAccepted(signer: TokenSigner | undefined, backends: ReadonlyMap<AuthenticationBackend, string>): void {
  if (signer === undefined) return;
  const jwt = [...backends].filter((entry): entry is [JwtAuthentication, string] => entry[0] instanceof JwtAuthentication);
  if (jwt.length === 0) return;
  const claims = {
    sub: 'nestjs-warden:self-check',
    is_staff: false,
    is_superuser: false,
    iat: 0,
    exp: 1,
    jti: randomUUID(),
    type: 'access',
    fresh: false,
    fam: randomUUID(),
    ...(signer.issuer === undefined ? {} : { iss: signer.issuer }),
    ...(signer.audience === undefined ? {} : { aud: signer.audience }),
  };
  const probe = signer.sign(claims);
  const refusals: string[] = [];
  for (const [backend, where] of jwt) {
    const verdict = backend.probe(probe, claims);
    if (verdict.accepted !== false) return;
    refusals.push(`  - JwtAuthentication in ${where}: ${reason(verdict, signer)}`);
  }
  throw new TypeError(
    `AuthModule: no JwtAuthentication in use accepts the tokens TokenService signs (${describe(signer)}), so every token ` +
      `the app issues would be refused with 401:\n${refusals.join('\n')}\n` +
      'Make `tokens` and one of them agree (a probe token is signed and verified at start-up).',
  );
}

function reason(verdict: Extract<ProbeVerdict, { accepted: false }>, signer: TokenSigner): string {
  const accepts = verdict.accepts.map((value) => JSON.stringify(value)).join(', ');
  switch (verdict.problem) {
    case 'algorithm':
      return `its \`algorithms\` [${accepts}] do not include "${signer.algorithm}" (tokens.algorithm): add it, or sign with one of them`;
    case 'key':
      return isSymmetric(signer.algorithm)
        ? 'its `secret` is not tokens.secret: give both the same secret'
        : 'its `publicKey` is not the public half of tokens.privateKey: give it that public key';
    case 'issuer':
      return `it requires issuer ${accepts}, and tokens.issuer is ${show(signer.issuer)}: set the same issuer on both`;
    case 'audience':
      return `it requires audience ${accepts}, and tokens.audience is ${show(signer.audience)}: set a matching audience on both`;
  }
}

function describe(signer: TokenSigner): string {
  return `${signer.algorithm}, issuer ${show(signer.issuer)}, audience ${show(signer.audience)}`;
}

function show(value: string | string[] | undefined): string {
  return value === undefined ? 'not set' : JSON.stringify(value);
}
