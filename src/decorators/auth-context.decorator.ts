import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { requestOf } from '../contexts/request-of.js';

const contextParam = createParamDecorator((_data: unknown, context: ExecutionContext) => requestOf(context)?.context ?? null);

/**
 * Parameter decorator: `request.context` (user id, flags, permissions, claims), read from
 * the credential without any database access.
 */
export const AuthContext = (): ParameterDecorator => contextParam();
