import type { INestApplicationContext, Type } from '@nestjs/common';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { AuthConfig } from '../auth.config.js';
import type { AuthenticationBackendRef } from '../auth.options.js';
import type { AuthenticationBackend, OpenApiSecurityScheme } from '../backends/authentication-backend.interface.js';
import { resolveAuth } from '../decorators/resolve-auth.js';

/** The parts of an OpenAPI 3 document this function reads and writes. */
export interface OpenApiDocumentLike {
  paths: { [path: string]: object };
  components?: { securitySchemes?: object };
}

type Operation = { operationId?: string; security?: Array<Record<string, string[]>> };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Declares the security schemes of the backends in use and sets every operation's
 * `security` from the auth metadata, with the same rules as the global guard: none for
 * `@Public()`, the handler's own backends for `@Auth({ authentication })`, the module's
 * otherwise (any one of them suffices). Works on the document `SwaggerModule.createDocument`
 * returns, whose operation ids are `Controller_method`; `@nestjs/swagger` is not imported.
 *
 * @example
 * ```ts
 * const document = applySwaggerAuth(app, SwaggerModule.createDocument(app, config));
 * SwaggerModule.setup('docs', app, document);
 * ```
 */
export function applySwaggerAuth<T extends OpenApiDocumentLike>(app: INestApplicationContext, document: T): T {
  const config = app.get(AuthConfig, { strict: false });
  const reflector = app.get(Reflector, { strict: false });
  const controllers = new Map<string, Type<unknown>>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      if (typeof wrapper.metatype === 'function') controllers.set(wrapper.metatype.name, wrapper.metatype as Type<unknown>);
    }
  }
  const schemes: Record<string, unknown> = {};
  const requirementsOf = (refs: readonly AuthenticationBackendRef[]): Array<Record<string, string[]>> =>
    refs
      .flatMap((ref) => declared(app, ref))
      .map((scheme) => {
        schemes[scheme.name] = scheme.scheme;
        return { [scheme.name]: [] };
      });
  const global = requirementsOf(config.backends);

  for (const pathItem of Object.values(document.paths) as Array<Record<string, Operation | undefined>>) {
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (operation === undefined) continue;
      const [controllerName, handlerName] = (operation.operationId ?? '').split('_');
      const controller = controllers.get(controllerName ?? '');
      const handler = controller?.prototype[handlerName ?? ''] as Function | undefined;
      if (controller === undefined || typeof handler !== 'function') {
        operation.security = global;
        continue;
      }
      const resolved = resolveAuth(reflector, handler, controller);
      if (resolved.public) operation.security = [];
      else operation.security = resolved.authentication === undefined ? global : requirementsOf(resolved.authentication);
    }
  }
  document.components = { ...document.components, securitySchemes: { ...document.components?.securitySchemes, ...schemes } };
  return document;
}

function declared(app: INestApplicationContext, ref: AuthenticationBackendRef): OpenApiSecurityScheme[] {
  let backend: AuthenticationBackend | undefined;
  if (typeof ref === 'function') {
    try {
      backend = app.get(ref, { strict: false });
    } catch {
      backend = undefined;
    }
  } else {
    backend = ref;
  }
  const scheme = backend?.openApiScheme?.();
  return scheme === undefined ? [] : Array.isArray(scheme) ? scheme : [scheme];
}
