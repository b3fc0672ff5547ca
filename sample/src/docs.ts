import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { applySwaggerAuth } from 'nestjs-warden';

/**
 * The sample's OpenAPI document. Security requirements come from the auth metadata (no
 * `@ApiBearerAuth()`), and Authorize can log in with a username and password: Swagger UI
 * posts the OAuth2 password-flow form to `POST /auth/login`, which answers `access_token`.
 */
export function buildDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder().setTitle('nestjs-warden sample').build();
  return applySwaggerAuth(app, SwaggerModule.createDocument(app, config), { oauth2: { tokenUrl: '/auth/login' } });
}

/**
 * Serves the document at /docs (Swagger UI) and /docs-json. Call it before `listen()`, no
 * `init()` needed. On Fastify the UI needs `@fastify/static` installed; without it only the
 * JSON and YAML are served.
 */
export function setupDocs(app: INestApplication, options: { ui?: boolean } = {}): OpenAPIObject {
  const document = buildDocument(app);
  SwaggerModule.setup('docs', app, document, { ui: options.ui ?? true, swaggerOptions: { persistAuthorization: true } });
  return document;
}
