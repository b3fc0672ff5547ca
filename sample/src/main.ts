import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { applySwaggerAuth } from 'nestjs-warden';
import { AppModule } from './app.module.js';
import { configureSample } from './setup.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  const release = await configureSample(app);
  app.enableShutdownHooks();
  // OpenAPI at /docs: security requirements come from the auth metadata, no @ApiBearerAuth().
  const document = applySwaggerAuth(app, SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('nestjs-warden sample').build()));
  SwaggerModule.setup('docs', app, document);
  process.once('beforeExit', () => void release());
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, process.env.HOST ?? '127.0.0.1');
  console.log(`nestjs-warden sample listening on http://127.0.0.1:${port}`);
}

void bootstrap();
