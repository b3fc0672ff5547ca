import type { INestApplicationContext, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthConfig } from '../auth.config.js';
import type { AuthenticationBackendRef } from '../auth.options.js';
import type { AuthenticationBackend, OpenApiSecurityScheme } from '../backends/authentication-backend.interface.js';
import { resolveAuth } from '../decorators/resolve-auth.js';
import { RouteIndex } from './route-index.js';
import type { SwaggerAuthOptions } from './swagger-auth.options.js';

/** The parts of an OpenAPI 3 document this function reads and writes. */
export interface OpenApiDocumentLike {
  paths: { [path: string]: object };
  components?: { securitySchemes?: object };
}

type Operation = { operationId?: string; security?: Array<Record<string, string[]>> };
type Scheme = Record<string, unknown>;

/** The keys of an OpenAPI path item that hold operations (`search`/`query` as `@All()` emits them). */
const OPERATION_KEYS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'search', 'query']);

/**
 * Declares the security schemes of the backends in use and sets every operation's
 * `security` from the auth metadata, with the same rules as the global guard (the one
 * resolver both use): none for `@Public()`, the handler's own backends for
 * `@Auth({ authentication })`, the module's otherwise (any one of them suffices).
 *
 * It reads only what exists once `NestFactory.create()` has returned (the module's options,
 * backend providers, controller metadata, the global prefix and versioning), so the document
 * is the same whether or not `init()` ran. Operations are matched to controller methods by
 * HTTP method and path (see `RouteIndex`), so two controllers with the same class name, or a
 * custom `operationIdFactory`, are no confusion; an operation no route matches (one added by
 * hand) gets the module's backends. A backend given by class must be a provider, so that its
 * instance exists before `init()`. `@nestjs/swagger` is not imported.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * const config = new DocumentBuilder().setTitle('API').build();
 * const document = applySwaggerAuth(app, SwaggerModule.createDocument(app, config), {
 *   oauth2: { tokenUrl: '/auth/login' },
 * });
 * SwaggerModule.setup('docs', app, document);
 * await app.listen(3000);
 * ```
 */
export function applySwaggerAuth<T extends OpenApiDocumentLike>(
  app: INestApplicationContext,
  document: T,
  options: SwaggerAuthOptions = {},
): T {
  const oauth2 = oauth2Scheme(options);
  const config = authConfigOf(app);
  const reflector = app.get(Reflector, { strict: false });
  const schemes: Record<string, Scheme> = {};
  const declaredBy = new Map<AuthenticationBackendRef, OpenApiSecurityScheme[]>();
  const requirementNames = (refs: readonly AuthenticationBackendRef[]): string[] => {
    const names = new Set<string>();
    for (const ref of refs) {
      let declared = declaredBy.get(ref);
      if (declared === undefined) {
        declared = schemesOf(app, ref);
        declaredBy.set(ref, declared);
      }
      for (const { name, scheme } of declared) {
        if (oauth2 !== undefined && name === oauth2.name) {
          throw new TypeError(`applySwaggerAuth: a backend already declares the scheme "${name}"; give \`oauth2.name\` another name`);
        }
        schemes[name] = scheme;
        names.add(name);
        if (oauth2 !== undefined && isBearer(scheme)) {
          schemes[oauth2.name] = oauth2.scheme;
          names.add(oauth2.name);
        }
      }
    }
    return [...names];
  };
  const global = requirementNames(config.options.authentication);
  const routes = RouteIndex.of(app, options.ignoreGlobalPrefix === true);

  for (const [path, item] of Object.entries(document.paths) as Array<[string, Record<string, Operation | undefined>]>) {
    for (const [method, operation] of Object.entries(item)) {
      if (!OPERATION_KEYS.has(method) || typeof operation !== 'object' || operation === null) continue;
      const route = routes.find(method, path, operation.operationId);
      const resolved = route === undefined ? undefined : resolveAuth(reflector, route.handler, route.controller);
      const names =
        resolved === undefined || (!resolved.public && resolved.authentication === undefined)
          ? global
          : resolved.public
            ? []
            : requirementNames(resolved.authentication ?? []);
      operation.security = names.map((name) => ({ [name]: [] }));
    }
  }
  if (oauth2 !== undefined && schemes[oauth2.name] === undefined) {
    throw new TypeError(
      'applySwaggerAuth: `oauth2` is set, but no backend in use accepts a bearer token (an http bearer scheme, as JwtAuthentication declares)',
    );
  }
  document.components = { ...document.components, securitySchemes: { ...document.components?.securitySchemes, ...schemes } };
  return document;
}

function oauth2Scheme(options: SwaggerAuthOptions): { name: string; scheme: Scheme } | undefined {
  if (options.oauth2 === undefined) return undefined;
  const { tokenUrl, name = 'oauth2' } = options.oauth2;
  if (typeof tokenUrl !== 'string' || tokenUrl.trim() === '') {
    throw new TypeError("applySwaggerAuth: `oauth2.tokenUrl` must be the login route's URL, e.g. { oauth2: { tokenUrl: '/auth/login' } }");
  }
  if (typeof name !== 'string' || name === '') throw new TypeError('applySwaggerAuth: `oauth2.name` must be a non-empty string');
  return { name, scheme: { type: 'oauth2', flows: { password: { tokenUrl, scopes: {} } } } };
}

function authConfigOf(app: INestApplicationContext): AuthConfig {
  try {
    return app.get(AuthConfig, { strict: false });
  } catch (error) {
    throw new TypeError('applySwaggerAuth: AuthModule is not imported by this application (AuthModule.forRoot(...))', { cause: error });
  }
}

function isBearer(scheme: Scheme): boolean {
  return scheme.type === 'http' && typeof scheme.scheme === 'string' && scheme.scheme.toLowerCase() === 'bearer';
}

/**
 * The schemes a backend declares. A backend class is read from the container, where
 * `NestFactory.create()` has already built it, and where `AuthConfig` finds the same
 * instance; a class that is no provider is only built during `init()`, too late for a
 * document built before it.
 */
function schemesOf(app: INestApplicationContext, ref: AuthenticationBackendRef): OpenApiSecurityScheme[] {
  let backend: AuthenticationBackend;
  if (typeof ref === 'function') {
    if (typeof (ref.prototype as Partial<AuthenticationBackend>).openApiScheme !== 'function') return [];
    try {
      backend = app.get(ref as Type<AuthenticationBackend>, { strict: false });
    } catch (error) {
      throw new TypeError(
        `applySwaggerAuth: the backend class ${ref.name} declares an OpenAPI scheme but is not a provider, so it does not exist before init(); ` +
          `add ${ref.name} to the providers of a module`,
        { cause: error },
      );
    }
  } else {
    backend = ref;
  }
  const scheme = backend.openApiScheme?.();
  return scheme === undefined ? [] : Array.isArray(scheme) ? scheme : [scheme];
}
