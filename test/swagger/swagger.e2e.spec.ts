import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Injectable, Module, VersioningType, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../../sample/src/app.module.js';
import { buildDocument, setupDocs } from '../../sample/src/docs.js';
import { configureSample } from '../../sample/src/setup.js';
import {
  applySwaggerAuth,
  AuthModule,
  JwtAuthentication,
  type AuthenticationBackend,
  type OpenApiSecurityScheme,
} from '../../src/index.js';
import { ADAPTERS, type AdapterName } from '../utils/app.js';
import { hs, claims } from '../utils/tokens.js';
import { BILLING_KEY } from './billing.controller.js';
import {
  configureRoutesApp,
  EdgeRoutesModule,
  ExpressEdgeRoutesModule,
  PARTNER_KEY,
  ROUTES_SECRET,
  RoutesAppModule,
} from './routes-app.js';

type Security = Array<Record<string, string[]>>;

/** Creates the app as `main.ts` does: `NestFactory.create`, no `init()`. */
async function create(adapter: AdapterName, module: object): Promise<INestApplication> {
  const options = { logger: false as const, abortOnError: false };
  return adapter === 'express'
    ? NestFactory.create(module, new ExpressAdapter(), options)
    : NestFactory.create(module, new FastifyAdapter(), options);
}

async function listen(app: INestApplication): Promise<TestAgent> {
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1').replace('localhost', '127.0.0.1');
  return request(url);
}

/** Every operation's security, keyed `method path`. */
function securityByRoute(document: OpenAPIObject): Record<string, unknown> {
  const table: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, { security?: unknown }>)) {
      table[`${method} ${path}`] = operation.security;
    }
  }
  return table;
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** The sample's module backends: JWT in a header (or through the password flow) or cookie, then the session. */
const SAMPLE_GLOBAL: Security = [{ bearer: [] }, { oauth2: [] }, { cookie_access_token: [] }, { session: [] }];
/** The sample's routes whose security differs from the module's backends. */
const SAMPLE_EXPECTED: Record<string, Security> = {
  'get /': [],
  'get /hello': [],
  'post /auth/login': [],
  'post /auth/refresh': [],
  // Public: an expired token must still reach it (TokenService.logout checks the token itself).
  'post /auth/logout': [],
  'post /session/login': [],
  'post /web/login': [],
  'post /web/refresh': [],
  'post /web/logout': [],
  'get /session/me': [{ session: [] }],
  'post /session/logout': [{ session: [] }],
  'get /basic/me': [{ basic: [] }],
  'get /internal': [{ api_key: [] }],
};

describe.each(ADAPTERS)('applySwaggerAuth in the usual order: create → document → listen (%s)', (adapter) => {
  describe('the sample app', () => {
    let app: INestApplication;
    let http: TestAgent;
    let beforeInit: OpenAPIObject;
    beforeAll(async () => {
      app = await create(adapter, AppModule);
      await configureSample(app);
      // Fastify serves Swagger UI through @fastify/static, which this repository does not install.
      beforeInit = clone(setupDocs(app, { ui: adapter === 'express' }));
      http = await listen(app);
    });
    afterAll(() => app.close());

    it('builds the same document before init() as after it, and serves that one at /docs-json', async () => {
      expect(beforeInit).toEqual(buildDocument(app));
      const served = await http.get('/docs-json');
      expect(served.status).toBe(200);
      expect(served.body).toEqual(beforeInit);
    });

    it('declares the schemes of the backends in use, and the OAuth2 password flow on the login route', () => {
      expect(beforeInit.components?.securitySchemes).toEqual({
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        oauth2: { type: 'oauth2', flows: { password: { tokenUrl: '/auth/login', scopes: {} } } },
        cookie_access_token: { type: 'apiKey', in: 'cookie', name: 'access_token' },
        session: { type: 'apiKey', in: 'cookie', name: 'connect.sid' },
        basic: { type: 'http', scheme: 'basic' },
        api_key: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      });
    });

    it('gives every route the security its auth metadata implies (OAuth2 wherever a bearer JWT is accepted)', () => {
      const table = securityByRoute(beforeInit);
      expect(Object.keys(table)).toEqual(
        expect.arrayContaining(['get /me', 'get /reports', 'get /admin', 'get /basic/me', 'post /web/notes']),
      );
      for (const [route, security] of Object.entries(table)) expect(security, route).toEqual(SAMPLE_EXPECTED[route] ?? SAMPLE_GLOBAL);
    });

    it("logs in with the form Swagger UI's password flow posts, and the token opens a protected route", async () => {
      const flow = (beforeInit.components?.securitySchemes?.oauth2 as { flows: { password: { tokenUrl: string } } }).flows.password;
      // What Swagger UI sends (client authentication "request body", no client id).
      const login = await http
        .post(flow.tokenUrl)
        .set('accept', 'application/json')
        .type('form')
        .send({ grant_type: 'password', username: 'bob', password: 'bob-password', scope: '' });
      expect(login.status).toBe(200);
      expect(login.headers['content-type']).toMatch(/^application\/json/);
      expect(login.body).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
      expect(typeof login.body.access_token).toBe('string');
      // Swagger UI then sends `Authorization: Bearer <access_token>` (from token_type).
      const me = await http.get('/me').set('authorization', `Bearer ${login.body.access_token as string}`);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ user: { id: 2, username: 'bob' }, authBackend: 'jwt' });
    });

    it('refuses the password flow with a wrong password (401) or another grant type (400 unsupported_grant_type)', async () => {
      const wrong = await http.post('/auth/login').type('form').send({ grant_type: 'password', username: 'bob', password: 'nope' });
      expect(wrong.status).toBe(401);
      expect(wrong.body.access_token).toBeUndefined();
      const other = await http
        .post('/auth/login')
        .type('form')
        .send({ grant_type: 'client_credentials', username: 'bob', password: 'bob-password' });
      expect(other.status).toBe(400);
      expect(other.body).toMatchObject({ error: 'unsupported_grant_type' });
      expect(other.body.access_token).toBeUndefined();
      // The JSON login the README shows still works.
      expect((await http.post('/auth/login').send({ username: 'bob', password: 'bob-password' })).status).toBe(200);
    });
  });

  describe('two controllers named ReportsController in two modules, a prefix, versions, custom operation ids', () => {
    let app: INestApplication;
    let http: TestAgent;
    let beforeInit: OpenAPIObject;
    // Operation ids without the class name: only the method and path tell the two apart.
    const document = (): OpenAPIObject =>
      applySwaggerAuth(
        app,
        SwaggerModule.createDocument(app, new DocumentBuilder().build(), { operationIdFactory: (_c, method) => method }),
        {
          oauth2: { tokenUrl: '/api/token' },
        },
      );
    beforeAll(async () => {
      app = await create(adapter, RoutesAppModule);
      configureRoutesApp(app);
      beforeInit = clone(document());
      http = await listen(app);
    });
    afterAll(() => app.close());

    it('builds the same document before init() as after it', () => {
      expect(beforeInit).toEqual(document());
    });

    it('gives each controller its own security, and declares the backends given by class', () => {
      const global: Security = [{ bearer: [] }, { oauth2: [] }, { partner_key: [] }];
      expect(securityByRoute(beforeInit)).toEqual({
        'get /api/billing/reports': [{ api_key: [] }],
        'get /api/billing/reports/{id}': [{ api_key: [] }],
        'get /api/v2/analytics/reports': global,
        'get /api/v2/analytics/reports/{id}': [],
        'get /health': [],
        'post /api/health': global,
      });
      expect(beforeInit.components?.securitySchemes).toEqual({
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        oauth2: { type: 'oauth2', flows: { password: { tokenUrl: '/api/token', scopes: {} } } },
        partner_key: { type: 'apiKey', in: 'header', name: 'x-partner-key' },
        api_key: { type: 'apiKey', in: 'header', name: 'x-billing-key' },
      });
    });

    it('documents the routes as served: each answers as its security says', async () => {
      const token = hs(claims(), ROUTES_SECRET);
      expect((await http.get('/api/billing/reports/7')).status).toBe(401);
      expect((await http.get('/api/billing/reports/7').set('authorization', `Bearer ${token}`)).status).toBe(401);
      expect((await http.get('/api/billing/reports/7').set('x-billing-key', BILLING_KEY)).body).toEqual({ module: 'billing', id: '7' });
      expect((await http.get('/api/v2/analytics/reports/7')).body).toEqual({ module: 'analytics', id: '7' });
      const list = await http.get('/api/v2/analytics/reports');
      expect([list.status, list.body.code]).toEqual([401, 'credentials_missing']);
      expect((await http.get('/api/v2/analytics/reports').set('authorization', `Bearer ${token}`)).status).toBe(200);
      expect((await http.get('/api/v2/analytics/reports').set('x-partner-key', PARTNER_KEY)).status).toBe(200);
      expect((await http.get('/health')).status).toBe(200);
      expect((await http.post('/api/health')).status).toBe(401);
    });

    it('matches a document built with ignoreGlobalPrefix when given the same option', () => {
      const unprefixed = applySwaggerAuth(
        app,
        SwaggerModule.createDocument(app, new DocumentBuilder().build(), { ignoreGlobalPrefix: true }),
        {
          ignoreGlobalPrefix: true,
        },
      );
      const global: Security = [{ bearer: [] }, { partner_key: [] }];
      expect(securityByRoute(unprefixed)).toEqual({
        'get /billing/reports': [{ api_key: [] }],
        'get /billing/reports/{id}': [{ api_key: [] }],
        'get /v2/analytics/reports': global,
        'get /v2/analytics/reports/{id}': [],
        'get /health': [],
        'post /health': global,
      });
    });
  });

  describe('header versioning, @All(), and on Express optional segments and wildcards', () => {
    let app: INestApplication;
    let http: TestAgent;
    let beforeInit: OpenAPIObject;
    const document = (): OpenAPIObject => applySwaggerAuth(app, SwaggerModule.createDocument(app, new DocumentBuilder().build()));
    beforeAll(async () => {
      app = await create(adapter, adapter === 'express' ? ExpressEdgeRoutesModule : EdgeRoutesModule);
      app.enableVersioning({ type: VersioningType.HEADER, header: 'x-version' });
      beforeInit = clone(document());
      http = await listen(app);
    });
    afterAll(() => app.close());

    it('builds the same document before init() as after it', () => {
      expect(beforeInit).toEqual(document());
    });

    it('gives each document operation the security of the handler it describes', () => {
      const bearer: Security = [{ bearer: [] }];
      const methods = ['get', 'post', 'put', 'delete', 'patch', 'options', 'head', 'search'];
      expect(securityByRoute(beforeInit)).toEqual({
        // Both versions are GET /cats; the document describes the last one (its operation id says which).
        'get /cats': bearer,
        ...Object.fromEntries(methods.map((method) => [`${method} /cats/any/{x}`, []])),
        ...(adapter === 'express' ? { 'get /files/list/{name}': bearer, 'get /files/deep/{rest}': bearer } : {}),
      });
      expect((beforeInit.paths['/cats']!.get as { operationId: string }).operationId).toBe('CatsV2Controller_list_2');
    });

    it('serves what the document says', async () => {
      expect((await http.get('/cats').set('x-version', '1')).status).toBe(200);
      expect((await http.get('/cats').set('x-version', '2')).status).toBe(401);
      expect(
        (
          await http
            .get('/cats')
            .set('x-version', '2')
            .set('authorization', `Bearer ${hs(claims(), ROUTES_SECRET)}`)
        ).body,
      ).toEqual({
        version: 2,
      });
      expect((await http.post('/cats/any/1')).status).toBe(200);
      if (adapter === 'express') {
        for (const path of ['/files/list', '/files/list/a', '/files/deep/a/b']) expect((await http.get(path)).status, path).toBe(401);
      }
    });
  });
});

@Injectable()
class UnregisteredAuthentication implements AuthenticationBackend {
  readonly name = 'unregistered';
  authenticate(): null {
    return null;
  }
  openApiScheme(): OpenApiSecurityScheme {
    return { name: 'unregistered', scheme: { type: 'apiKey', in: 'header', name: 'x-unregistered' } };
  }
}

@Controller()
class PingController {
  @Get('ping')
  ping(): string {
    return 'pong';
  }
}

@Module({
  imports: [
    AuthModule.forRoot({
      authentication: [new JwtAuthentication({ secret: ROUTES_SECRET, algorithms: ['HS256'] }), UnregisteredAuthentication],
    }),
  ],
  controllers: [PingController],
})
class UnregisteredBackendModule {}

describe('applySwaggerAuth misuse and packaging', () => {
  it('refuses an oauth2 option without a tokenUrl, saying what to pass', async () => {
    const app = await create('express', RoutesAppModule);
    try {
      const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      expect(() => applySwaggerAuth(app, document, { oauth2: { tokenUrl: '' } })).toThrow(
        new TypeError("applySwaggerAuth: `oauth2.tokenUrl` must be the login route's URL, e.g. { oauth2: { tokenUrl: '/auth/login' } }"),
      );
    } finally {
      await app.close();
    }
  });

  it('refuses a backend class with an OpenAPI scheme that is not a provider (its instance only exists after init), naming it', async () => {
    const app = await create('express', UnregisteredBackendModule);
    try {
      const document = SwaggerModule.createDocument(app, new DocumentBuilder().build());
      expect(() => applySwaggerAuth(app, document)).toThrow(/UnregisteredAuthentication.*providers/);
    } finally {
      await app.close();
    }
  });

  it('does not load @nestjs/swagger: src/ imports it for types only, if at all', () => {
    const root = fileURLToPath(new URL('../../src', import.meta.url));
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((file) => {
      const text = readFileSync(join(root, file), 'utf8');
      return /(?:^|\n)\s*(?:import|export)\s+(?!type\b)[^;]*?from\s+['"]@nestjs\/swagger['"]|import\(\s*['"]@nestjs\/swagger['"]|require\(\s*['"]@nestjs\/swagger['"]/.test(
        text,
      );
    });
    expect(offenders).toEqual([]);
  });
});
