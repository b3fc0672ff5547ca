import { Injectable } from '@nestjs/common';
import { AuthContextService } from 'nestjs-warden';

/** A service that knows who is calling without being handed the request: AuthContextService. */
@Injectable()
export class AuditService {
  constructor(private readonly auth: AuthContextService) {}

  record(action: string): { action: string; by: string | null; backend: string | null } {
    return { action, by: this.auth.userId, backend: this.auth.context?.authBackend ?? null };
  }
}
