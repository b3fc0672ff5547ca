import type { IncomingMessage } from 'node:http';
import type { AuthRequest } from './auth-request.interface.js';

/** The Node.js request underneath either adapter (Express: the request itself; Fastify: `request.raw`). */
export function rawRequest(request: AuthRequest): IncomingMessage {
  return (request.raw ?? request) as IncomingMessage;
}
