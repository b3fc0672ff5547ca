import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { AuthRequest } from './auth-request.interface.js';
import { AuthContextService } from './auth-context.service.js';

/**
 * Runs each HTTP handler inside the request's `AsyncLocalStorage` scope, for `AuthContextService`.
 * `next.handle()` binds the async scope it is called in (Nest runs the handler through
 * `AsyncResource#runInAsyncScope`), so calling it inside `run()` is enough: no extra
 * Observable and Subscriber per request.
 */
@Injectable()
export class AuthContextInterceptor implements NestInterceptor {
  constructor(private readonly auth: AuthContextService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuthRequest>();
    return this.auth.run(request, () => next.handle());
  }
}
