import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import type { AuthRequest } from './auth-request.interface.js';
import { AuthContextService } from './auth-context.service.js';

/** Runs each HTTP handler inside the request's `AsyncLocalStorage` scope, for `AuthContextService`. */
@Injectable()
export class AuthContextInterceptor implements NestInterceptor {
  constructor(private readonly auth: AuthContextService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuthRequest>();
    return new Observable((subscriber) => this.auth.run(request, () => next.handle().subscribe(subscriber)));
  }
}
