import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../../sample/src/app.module.js';
import { configureSample } from '../../sample/src/setup.js';
import { applySwaggerAuth } from '../../src/index.js';
import { startApp, type TestApp } from '../utils/app.js';

const GLOBAL = [{ bearer: [] }, { cookie_access_token: [] }, { session: [] }];
/** Routes whose security differs from the module's backends. */
const EXPECTED: Record<string, unknown[]> = {
  'get /': [],
  'get /hello': [],
  'post /auth/login': [],
  'post /auth/refresh': [],
  'post /session/login': [],
  'post /web/login': [],
  'post /web/refresh': [],
  'post /web/logout': [],
  'get /session/me': [{ session: [] }],
  'post /session/logout': [{ session: [] }],
  'get /basic/me': [{ basic: [] }],
  'get /internal': [{ api_key: [] }],
};

describe('applySwaggerAuth on the sample app', () => {
  let t: TestApp;
  let document: OpenAPIObject;
  beforeAll(async () => {
    t = await startApp('express', { imports: [AppModule] }, async (app) => {
      await configureSample(app);
    });
    document = applySwaggerAuth(t.app, SwaggerModule.createDocument(t.app, new DocumentBuilder().build()));
  });
  afterAll(() => t.close());

  it('declares the schemes of the backends in use', () => {
    expect(document.components?.securitySchemes).toEqual({
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      cookie_access_token: { type: 'apiKey', in: 'cookie', name: 'access_token' },
      session: { type: 'apiKey', in: 'cookie', name: 'connect.sid' },
      basic: { type: 'http', scheme: 'basic' },
      api_key: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
  });

  it('gives every route the security its auth metadata implies', () => {
    const seen: string[] = [];
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item as Record<string, { security?: unknown }>)) {
        const key = `${method} ${path}`;
        seen.push(key);
        expect(operation.security, key).toEqual(EXPECTED[key] ?? GLOBAL);
      }
    }
    expect(seen).toEqual(expect.arrayContaining(['get /', 'get /me', 'get /reports', 'get /admin', 'get /basic/me', 'post /web/notes']));
  });
});
