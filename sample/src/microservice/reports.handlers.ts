import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { AuthContext, Permissions, type RequestContext } from 'nestjs-warden';

/**
 * Message handlers of the sample's TCP microservice. The global guard checks them as it checks
 * routes (the app connects the microservice with `inheritAppConfig: true`): the credential
 * travels in the `withCredentials()` envelope, and the handler receives the inner data only.
 */
@Controller()
export class ReportsHandlers {
  /** Needs `reports:read` (alice, bob): carol's token gets 403 `permission_denied`, no envelope 401 `credentials_missing`. */
  @Permissions('reports:read')
  @MessagePattern('reports.get')
  find(
    @Payload() data: { id?: unknown } | null,
    @AuthContext() context: RequestContext,
  ): { id: string; title: string; for: string | null } {
    const id = String(data?.id ?? '');
    return { id, title: `Report ${id}`, for: context.userId };
  }
}
