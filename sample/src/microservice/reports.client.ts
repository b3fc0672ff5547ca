import { BadGatewayException, Injectable, ServiceUnavailableException, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { AuthError, withCredentials, type AuthErrorCode } from 'nestjs-warden';
import { firstValueFrom, timeout } from 'rxjs';

/** A report, as the microservice answers it. */
export interface RemoteReport {
  id: string;
  title: string;
  for: string | null;
}

/** The sample's client of its own TCP microservice: sends the caller's credential along with each message. */
@Injectable()
export class ReportsClient implements OnApplicationShutdown {
  private client: ClientProxy | undefined;

  /** Points the client at the microservice once it listens (`connectReportsService` does it). */
  use(port: number): void {
    void this.client?.close();
    this.client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
  }

  /**
   * Asks for a report with the caller's `Authorization` header (`'Bearer …'`) in the envelope;
   * without one the message goes anonymous, and the microservice refuses it. A refusal comes
   * back as the same `AuthError` (status, code, `WWW-Authenticate`); no answer in 5 s is a 502.
   */
  async find(id: string, authorization: string | undefined): Promise<RemoteReport> {
    if (this.client === undefined) throw new ServiceUnavailableException('The reports microservice is not running');
    const message = authorization ? withCredentials({ id }, authorization) : { id };
    try {
      return await firstValueFrom(this.client.send<RemoteReport>('reports.get', message).pipe(timeout(5000)));
    } catch (error: unknown) {
      throw refusalOf(error) ?? new BadGatewayException('The reports microservice did not answer');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client?.close();
  }
}

/** The microservice's refusal (`{ statusCode, code, message }`) as an `AuthError`, or undefined for any other failure. */
function refusalOf(error: unknown): AuthError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { statusCode, code, message } = error as Record<string, unknown>;
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode > 599 || typeof code !== 'string') return undefined;
  return new AuthError(statusCode, code as AuthErrorCode, typeof message === 'string' ? message : 'Refused by the reports microservice', {
    invalidToken: statusCode === 401 && code !== 'credentials_missing',
  });
}
