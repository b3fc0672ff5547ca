import { PATH_METADATA } from '@nestjs/common/constants.js';
import type { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { assertFieldResolversGuarded } from '../contexts/graphql-field-check.js';

/** A handler method, as Nest hands it to guards (`context.getHandler()`). */
export type Handler = (...args: never[]) => unknown;
/** The class a handler is declared on (`context.getClass()`). */
export type Controller = abstract new (...args: never[]) => unknown;

/** The transports a handler can serve. */
export type Transport = 'http' | 'rpc' | 'graphql' | 'ws';

/** A handler found at start-up, with its class, method name and transport. */
export interface DiscoveredHandler {
  handler: Handler;
  controller: Controller;
  name: string;
  transport: Transport;
}

type InstanceWrapper = ReturnType<DiscoveryService['getProviders']>[number];

// The integrations' own metadata keys, read as strings so that no optional package is loaded
// (@nestjs/microservices, @nestjs/graphql and @nestjs/websockets constants, Nest 11 and 12).
const RPC_PATTERN = 'microservices:pattern';
const GRAPHQL_RESOLVER_TYPE = 'graphql:resolver_type';
const GRAPHQL_RESOLVE_PROPERTY = 'graphql:resolve_property';
const WS_MESSAGE_MAPPING = 'websockets:message_mapping';

/**
 * Every handler of the app the global guard can be asked about: HTTP routes and
 * microservice handlers on controllers, GraphQL resolvers and WebSocket message handlers
 * on providers.
 */
export function discoverHandlers(discovery: DiscoveryService, scanner: MetadataScanner): DiscoveredHandler[] {
  const providers = discovery.getProviders();
  const handlers = [...handlersOf(scanner, discovery.getControllers(), httpOrRpc), ...handlersOf(scanner, providers, graphqlOrWs)];
  // GraphQL field resolvers run guards only when the GraphQL module says so: refuse decorators that would not apply.
  assertFieldResolversGuarded(providers, handlers);
  return handlers;
}

/** The methods of these classes that `transportOf` recognises as handlers. */
function* handlersOf(
  scanner: MetadataScanner,
  wrappers: readonly InstanceWrapper[],
  transportOf: (handler: Handler) => Transport | undefined,
): Generator<DiscoveredHandler> {
  for (const wrapper of wrappers) {
    // A factory or value provider has no class of its own to read decorators from.
    if (wrapper.isNotMetatype) continue;
    const controller = wrapper.metatype as Controller | null;
    if (typeof controller !== 'function') continue;
    const prototype = controller.prototype as Record<string, unknown> | undefined;
    if (prototype === undefined) continue;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name] as Handler;
      const transport = transportOf(handler);
      if (transport !== undefined) yield { handler, controller, name, transport };
    }
  }
}

/** A controller method: an HTTP route or a microservice message/event handler. */
function httpOrRpc(handler: Handler): Transport | undefined {
  if (Reflect.getMetadata(PATH_METADATA, handler) !== undefined) return 'http';
  if (Reflect.getMetadata(RPC_PATTERN, handler) !== undefined) return 'rpc';
  return undefined;
}

/** A provider method: a GraphQL query, mutation, subscription or field resolver, or a WebSocket message handler. */
function graphqlOrWs(handler: Handler): Transport | undefined {
  if (Reflect.getMetadata(GRAPHQL_RESOLVER_TYPE, handler) !== undefined) return 'graphql';
  if (Reflect.getMetadata(GRAPHQL_RESOLVE_PROPERTY, handler) !== undefined) return 'graphql';
  if (Reflect.getMetadata(WS_MESSAGE_MAPPING, handler) === true) return 'ws';
  return undefined;
}
