import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { AuthContext, Public, type RequestContext } from 'nestjs-warden';

/**
 * socket.io on the app's own HTTP server (path /socket.io). The token is read from the
 * handshake, `io(url, { auth: { token } })`, and checked again on every message: a token
 * revoked or expired meanwhile is refused (an `exception` event) and the connection closed.
 */
@WebSocketGateway()
export class EventsGateway {
  /** Protected, as every message is unless `@Public()`. */
  @SubscribeMessage('whoami')
  whoami(@AuthContext() context: RequestContext): { event: string; data: { userId: string | null; roles: string[] } } {
    return { event: 'whoami', data: { userId: context.userId, roles: context.roles } };
  }

  @Public()
  @SubscribeMessage('ping')
  ping(): { event: string; data: string } {
    return { event: 'pong', data: 'pong' };
  }
}
