import { RequestMethod, type INestApplicationContext } from '@nestjs/common';
import { METHOD_METADATA, MODULE_PATH, PATH_METADATA, VERSION_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig, MetadataScanner, ModulesContainer } from '@nestjs/core';
import { RoutePathFactory } from '@nestjs/core/router/route-path-factory.js';

/** A controller method, as the router serves it. */
export interface RouteHandler {
  readonly controller: Function;
  readonly handler: Function;
  readonly methodName: string;
  /** The path as Nest serves it (`/api/orders/:id`), for the security report. */
  readonly path: string;
}

type RoutePathMetadata = Parameters<RoutePathFactory['create']>[0];

/** Stands for every method in the index (`@All()` routes). */
const ANY_METHOD = '*';

/**
 * The application's routes by HTTP method and path, computed from Nest's metadata
 * (`PATH_METADATA`, `METHOD_METADATA`, `VERSION_METADATA`, the RouterModule path, the global
 * prefix and its exclusions, URI versioning) with the `RoutePathFactory` that both Nest's
 * router and `@nestjs/swagger` use to build paths.
 *
 * Why paths and not operation ids: an operation id is whatever the app's
 * `operationIdFactory` makes of it, and by default it names the class only, so two
 * `ReportsController`s in two modules cannot be told apart; the method and path of an
 * operation are what the router itself dispatches on, so they identify one handler.
 * Parameter names are compared as placeholders (`/users/{id}` is `/users/{}`): two routes
 * that differ only by a parameter's name are the same route to the router.
 *
 * Everything read here exists once `NestFactory.create()` has returned; nothing waits for
 * `init()`.
 */
export class RouteIndex {
  private readonly routes = new Map<string, RouteHandler[]>();

  private constructor() {}

  /**
   * Indexes every controller method of the application that has a route.
   * @param ignoreGlobalPrefix index paths without the global prefix, as `createDocument` does with the same option.
   */
  static of(app: INestApplicationContext, ignoreGlobalPrefix: boolean): RouteIndex {
    const index = new RouteIndex();
    const modules = app.get(ModulesContainer, { strict: false });
    const config = applicationConfig(app);
    const factory = new RoutePathFactory(config ?? new ApplicationConfig());
    const versioning = config?.getVersioning();
    const globalPrefix = ignoreGlobalPrefix ? '' : (config?.getGlobalPrefix() ?? '');
    const scanner = new MetadataScanner();
    for (const module of modules.values()) {
      const modulePath: unknown =
        Reflect.getMetadata(MODULE_PATH + modules.applicationId, module.metatype) ?? Reflect.getMetadata(MODULE_PATH, module.metatype);
      for (const wrapper of module.controllers.values()) {
        const controller = wrapper.metatype;
        if (typeof controller !== 'function') continue;
        const controllerVersion: unknown =
          versioning === undefined ? undefined : (Reflect.getMetadata(VERSION_METADATA, controller) ?? versioning.defaultVersion);
        const prototype = controller.prototype as Record<string, unknown>;
        for (const methodName of scanner.getAllMethodNames(prototype)) {
          const handler = prototype[methodName];
          if (typeof handler !== 'function') continue;
          const methodPath: unknown = Reflect.getMetadata(PATH_METADATA, handler);
          if (methodPath === undefined) continue;
          const requestMethod = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
          const metadata = {
            ctrlPath: Reflect.getMetadata(PATH_METADATA, controller) as unknown,
            methodPath,
            modulePath,
            globalPrefix,
            controllerVersion,
            methodVersion: Reflect.getMetadata(VERSION_METADATA, handler) as unknown,
            versioningOptions: versioning,
          } as RoutePathMetadata;
          const method = requestMethod === undefined || requestMethod === RequestMethod.ALL ? ANY_METHOD : RequestMethod[requestMethod];
          for (const path of factory.create(metadata, requestMethod))
            index.add(method, path, { controller, handler, methodName, path: shape(path) });
        }
      }
    }
    return index;
  }

  /**
   * The handler of a document operation. When several handlers share a method and path
   * (header or media-type versioning), the document holds one operation for them: the one
   * whose default operation id (`Controller_method…`) it carries, else the last one, as
   * `@nestjs/swagger` keeps the last route it explores for a path and method.
   */
  find(method: string, documentPath: string, operationId: string | undefined): RouteHandler | undefined {
    const key = shape(documentPath.replace(/\{[^}]*\}/g, '{}'));
    const candidates = this.routes.get(`${method.toUpperCase()} ${key}`) ?? this.routes.get(`${ANY_METHOD} ${key}`) ?? [];
    if (candidates.length <= 1) return candidates[0];
    const named = candidates.find(({ controller, methodName }) => {
      const prefix = `${controller.name}_${methodName}`;
      return operationId === prefix || (operationId?.startsWith(prefix) === true && /^[_[]/.test(operationId.slice(prefix.length)));
    });
    return named ?? candidates[candidates.length - 1];
  }

  private add(method: string, path: string, route: RouteHandler): void {
    const key = `${method} ${shape(routeTemplate(path))}`;
    const list = this.routes.get(key);
    if (list === undefined) this.routes.set(key, [route]);
    else list.push(route);
  }
}

/**
 * The application's own `ApplicationConfig` (global prefix, versioning), which Nest keeps on
 * the application object and provides to no module; `@nestjs/swagger` reads the same
 * property. An application context without HTTP has none.
 */
function applicationConfig(app: INestApplicationContext): ApplicationConfig | undefined {
  const config = (app as { config?: Partial<ApplicationConfig> }).config;
  return typeof config?.getGlobalPrefix === 'function' && typeof config.getVersioning === 'function'
    ? (config as ApplicationConfig)
    : undefined;
}

/**
 * A Nest route path (path-to-regexp 8 syntax, or the legacy one Nest still converts) with
 * every parameter and wildcard as `{}` and optional-group braces dropped, as `@nestjs/swagger`
 * flattens them into the document path.
 */
function routeTemplate(path: string): string {
  const source = path
    .replace(/::/g, '\\:')
    .replace(/\[:\]/g, '\\:')
    .replace(/\(\.\*\)/g, '*');
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const char = source[i]!;
    if (char === '\\') {
      out += source[++i] ?? '';
    } else if (char === ':' || char === '*') {
      if (source[i + 1] === '"') {
        const end = source.indexOf('"', i + 2);
        i = end === -1 ? source.length : end;
      } else {
        while (i + 1 < source.length && /[\p{ID_Continue}$\u200c\u200d]/u.test(source[i + 1]!)) i++;
      }
      out += '{}';
    } else if (char !== '{' && char !== '}') {
      out += char;
    }
  }
  return out;
}

/** The comparable form of a path: no trailing slash, `/` for the root. */
function shape(path: string): string {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed === '' ? '/' : trimmed;
}
