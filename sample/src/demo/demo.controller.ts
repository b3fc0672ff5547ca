import { Controller, Get } from '@nestjs/common';
import { AuditService } from './audit.service.js';
import { Auth, AuthContext, CurrentUser, IsAdmin, Permissions, Public, type RequestContext } from 'nestjs-warden';

@Controller()
export class DemoController {
  constructor(private readonly audit: AuditService) {}

  /** Public: no credential needed. */
  @Public()
  @Get('hello')
  hello(): { message: string } {
    return { message: 'Hello, anyone' };
  }

  /** Any authenticated user; the user is loaded (once) because the handler asks for it. */
  @Get('me')
  me(@CurrentUser() user: unknown, @AuthContext() context: RequestContext): { user: unknown; authBackend: string | null } {
    return { user, authBackend: context.authBackend };
  }

  /** Needs the `reports:read` permission (from the token, no database access). */
  @Permissions('reports:read')
  @Get('reports')
  reports(@AuthContext() context: RequestContext): { reports: string[]; for: string | null } {
    return { reports: ['q1', 'q2'], for: context.userId };
  }

  /** Superusers only. */
  @Auth({ guards: [IsAdmin()] })
  @Get('admin')
  admin(): { message: string } {
    return { message: 'Welcome, admin' };
  }

  /** A service reads the caller through AuthContextService (injecting it turns its scope on). */
  @Get('audit')
  record(): ReturnType<AuditService['record']> {
    return this.audit.record('viewed the audit route');
  }
}
