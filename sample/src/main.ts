import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { setupDocs } from './docs.js';
import { configureSample } from './setup.js';
import { connectReportsService } from './microservice/reports.microservice.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  const release = await configureSample(app);
  app.enableShutdownHooks();
  // OpenAPI at /docs, built in the usual order (no init() first); Authorize logs in through /auth/login.
  setupDocs(app);
  // Hybrid: the TCP microservice, under the same global guard (inheritAppConfig).
  const microservicePort = await connectReportsService(app);
  process.once('beforeExit', () => void release());
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, process.env.HOST ?? '127.0.0.1');
  console.log(
    `nestjs-warden sample listening on http://127.0.0.1:${port} (GraphQL at /graphql, socket.io, TCP microservice on ${microservicePort})`,
  );
}

void bootstrap();
