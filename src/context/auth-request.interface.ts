import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { RequestContext } from './request-context.interface.js';

/**
 * The request as nestjs-warden sees it: the object `@Req()` gives on Express or on
 * Fastify. Only the members both adapters share are declared.
 */
export interface AuthRequest {
  headers: IncomingHttpHeaders;
  method: string;
  url: string;
  /** Express: the request itself; Fastify: `request.raw`. Use `rawHeaders` through `rawRequest()` (raw-request.ts). */
  raw?: IncomingMessage;
  rawHeaders?: string[];
  /** Set by the global guard. */
  context?: RequestContext;
  /** Cookies, when `cookie-parser` (Express) or `@fastify/cookie` (Fastify) is installed. */
  cookies?: Record<string, string | undefined>;
  /** The session, when `express-session` or `@fastify/session` is installed. */
  session?: unknown;
  /** Lazily loaded user: a Promise that resolves once, on first read. */
  user?: unknown;
}
