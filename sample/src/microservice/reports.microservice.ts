import type { INestApplication } from '@nestjs/common';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { AddressInfo, Server } from 'node:net';
import { ReportsClient } from './reports.client.js';

/**
 * Makes the app hybrid: a TCP microservice on 127.0.0.1, port MICROSERVICE_PORT or a free one,
 * connected with `inheritAppConfig: true` so that the global guard (and the error filter)
 * protect its handlers; without it every message handler would run for anyone. Starts it,
 * points `ReportsClient` at it, and returns its port.
 */
export async function connectReportsService(app: INestApplication): Promise<number> {
  const microservice = app.connectMicroservice<MicroserviceOptions>(
    { transport: Transport.TCP, options: { host: '127.0.0.1', port: Number(process.env.MICROSERVICE_PORT ?? 0) } },
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
  const port = (microservice.unwrap<Server>().address() as AddressInfo).port;
  app.get(ReportsClient).use(port);
  return port;
}
