import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthRequest } from '../context/auth-request.interface.js';

const contextParam = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<AuthRequest>().context ?? null,
);

/**
 * Parameter decorator: `request.context` (user id, flags, permissions, claims), read from
 * the credential without any database access.
 */
export const AuthContext = (): ParameterDecorator => contextParam();
