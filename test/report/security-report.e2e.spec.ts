import { All, Controller, Delete, Get, Module, Post, type Type } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GraphQLModule, ID, ObjectType, Query, Resolver, ResolveField } from '@nestjs/graphql';
import { EventPattern, MessagePattern, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AllowAny,
  ApiKeyAuthentication,
  Auth,
  AuthModule,
  formatSecurityReport,
  IsAdmin,
  IsFresh,
  IsStaff,
  JwtAuthentication,
  Permissions,
  Public,
  securityReport,
  type RouteSecurity,
} from '../../src/index.js';
import { ADAPTERS, startApp, type TestApp } from '../utils/app.js';

/**
 * Issue 16, item 6: one call lists every handler with how it is protected, and its text form
 * is a stable snapshot. A real app with the decorators at every level, on both adapters.
 */
const SECRET = 's'.repeat(32);
const FIELD_WARNING =
  "no guard runs on this field resolver: GraphQLModule.forRoot() has no fieldResolverEnhancers: ['guards', 'filters'], so it is exactly as " +
  'protected as the query or field that returns its parent type (the decorators on it do not apply)';
const apiKeys = new ApiKeyAuthentication({ keys: ['k'.repeat(40)] });

@Controller('orders')
class OrdersController {
  @Get()
  list(): string {
    return 'list';
  }

  @Public()
  @Get('health')
  health(): string {
    return 'ok';
  }

  @Permissions('orders:write')
  @Post()
  create(): string {
    return 'created';
  }

  @Auth({ guards: [IsAdmin()] })
  @Delete(':id')
  remove(): string {
    return 'removed';
  }

  @Auth({ authentication: [apiKeys] })
  @Get('export')
  exportAll(): string {
    return 'export';
  }

  @Auth({ guards: [AllowAny()] })
  @Get('feed')
  feed(): string {
    return 'feed';
  }

  @All('any')
  any(): string {
    return 'any';
  }
}

@Public()
@Controller('docs')
class DocsController {
  @Get()
  index(): string {
    return 'docs';
  }

  @Auth()
  @Get('drafts')
  drafts(): string {
    return 'drafts';
  }
}

@Permissions('reports:read')
@Controller('reports')
class ReportsController {
  @Get()
  list(): string {
    return 'reports';
  }

  @Permissions('reports:export')
  @Get('export')
  exportAll(): string {
    return 'export';
  }
}

@Auth({ guards: [IsStaff(), IsFresh()] })
@Controller('staff')
class StaffController {
  @Get()
  home(): string {
    return 'staff';
  }
}

@Controller()
class MathController {
  @MessagePattern('sum')
  sum(): number {
    return 0;
  }

  @Public()
  @MessagePattern({ cmd: 'ping' })
  ping(): string {
    return 'pong';
  }

  @Permissions('audit:write')
  @EventPattern('audit')
  audit(_event: unknown): void {}
}

@Resolver('Order')
class OrderResolver {
  @Query('order')
  order(): null {
    return null;
  }

  @Public()
  @ResolveField('status')
  status(): string {
    return 'open';
  }
}

@WebSocketGateway()
class ChatGateway {
  @Auth({ guards: [IsAdmin()] })
  @SubscribeMessage('shout')
  shout(): string {
    return 'ok';
  }
}

@Module({
  imports: [AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] }), apiKeys] })],
  controllers: [OrdersController, DocsController, ReportsController, StaffController, MathController],
  providers: [OrderResolver, ChatGateway],
})
class AppModule {}

const EXPECTED = `# 18 handlers, 4 public
http ALL /api/orders/any  OrdersController.any  backends: jwt, api_key  guards: IsAuthenticated
http DELETE /api/orders/:id  OrdersController.remove  backends: jwt, api_key  guards: IsAdmin
http GET /api/docs  DocsController.index  public
http GET /api/docs/drafts  DocsController.drafts  backends: jwt, api_key  guards: IsAuthenticated
http GET /api/orders  OrdersController.list  backends: jwt, api_key  guards: IsAuthenticated
http GET /api/orders/export  OrdersController.exportAll  backends: api_key  guards: IsAuthenticated
http GET /api/orders/feed  OrdersController.feed  backends: jwt, api_key  guards: AllowAny
http GET /api/orders/health  OrdersController.health  public
http GET /api/reports  ReportsController.list  backends: jwt, api_key  guards: IsAuthenticated, HasAllPermissions(reports:read)
http GET /api/reports/export  ReportsController.exportAll  backends: jwt, api_key  guards: IsAuthenticated, HasAllPermissions(reports:export, reports:read)
http GET /api/staff  StaffController.home  backends: jwt, api_key  guards: IsStaff, IsFresh
http POST /api/orders  OrdersController.create  backends: jwt, api_key  guards: IsAuthenticated, HasAllPermissions(orders:write)
graphql Order.status  OrderResolver.status  public
graphql Query.order  OrderResolver.order  backends: jwt, api_key  guards: IsAuthenticated
ws message "shout"  ChatGateway.shout  backends: jwt, api_key  guards: IsAdmin
rpc event "audit"  MathController.audit  backends: jwt, api_key  guards: IsAuthenticated, HasAllPermissions(audit:write)
rpc message "sum"  MathController.sum  backends: jwt, api_key  guards: IsAuthenticated
rpc message {"cmd":"ping"}  MathController.ping  public
`;

describe.each(ADAPTERS)('securityReport() on a %s app', (adapter) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function start(inheritAppConfig = true): Promise<RouteSecurity[]> {
    t = await startApp(adapter, { imports: [AppModule] }, async (app) => {
      app.setGlobalPrefix('api');
      app.connectMicroservice<MicroserviceOptions>(
        { transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } },
        { inheritAppConfig },
      );
      await app.startAllMicroservices();
    });
    return securityReport(t.app);
  }

  it('lists every handler, sorted, with its decision, as the guard answers it', async () => {
    const report = await start();
    expect(formatSecurityReport(report)).toBe(EXPECTED);
    expect(report).toHaveLength(EXPECTED.trim().split('\n').length - 1);
    expect(report.find((entry) => entry.handler === 'ReportsController.exportAll')).toEqual({
      transport: 'http',
      route: 'GET /api/reports/export',
      handler: 'ReportsController.exportAll',
      public: false,
      guarded: true,
      backends: ['jwt', 'api_key'],
      guards: ['IsAuthenticated', 'HasAllPermissions(reports:export, reports:read)'],
      permissions: ['reports:export', 'reports:read'],
      warnings: [],
    });
  });

  it('the report says what a request meets: the public entries answer anonymously, the others 401', async () => {
    const report = await start();
    for (const entry of report.filter((item) => item.transport === 'http')) {
      const [method, route] = entry.route.split(' ') as [string, string];
      // The report gives the path as Nest serves it: a parameter filled in addresses the handler.
      const path = route.replace(/:\w+/g, '42');
      const verb = (method === 'ALL' ? 'get' : method.toLowerCase()) as 'get' | 'post' | 'delete';
      const response = await t!.http[verb](path);
      // AllowAny lets an anonymous request in: the report shows it as a non-public handler whose guard allows everyone.
      const open = entry.public || entry.guards.join() === 'AllowAny';
      expect(response.status, entry.route).toBe(open ? (method === 'POST' ? 201 : 200) : 401);
    }
  });

  it('is a stable snapshot', async () => {
    expect(formatSecurityReport(await start())).toMatchSnapshot();
  });

  it('flags microservice handlers served by a microservice connected without { inheritAppConfig: true }', async () => {
    const report = await start(false);
    const rpc = report.filter((entry) => entry.transport === 'rpc');
    expect(rpc).toHaveLength(3);
    for (const entry of rpc) expect(entry.warnings).toEqual([expect.stringContaining('without { inheritAppConfig: true }') as string]);
    expect(report.filter((entry) => entry.transport !== 'rpc').every((entry) => entry.warnings.length === 0)).toBe(true);
    expect(formatSecurityReport(report)).toContain(
      'rpc message "sum"  MathController.sum  backends: jwt, api_key  guards: IsAuthenticated\n  ! a microservice of this app is connected without { inheritAppConfig: true }',
    );
  });
});

describe('securityReport() misuse', () => {
  it('refuses an app without AuthModule', async () => {
    const t = await startApp('express', { controllers: [StaffController] });
    try {
      await expect(securityReport(t.app)).rejects.toThrow(/does not import AuthModule/);
    } finally {
      await t.close();
    }
  });
});

/**
 * Review finding 6: without `fieldResolverEnhancers: ['guards', ...]` @nestjs/graphql runs no
 * guard on a `@ResolveField()`: the report says so (not guarded, a warning) instead of showing
 * the plan the guard would apply if it ran; with it, field resolvers are listed like queries.
 */
@ObjectType()
class Invoice {
  @Field(() => ID)
  id!: string;
}

@Resolver(() => Invoice)
class InvoiceResolver {
  @Public()
  @Query(() => [Invoice])
  invoices(): Invoice[] {
    return [{ id: '1' }];
  }

  @Query(() => Invoice)
  invoice(): Invoice {
    return { id: '1' };
  }

  @ResolveField(() => String)
  total(): string {
    return '10 EUR';
  }

  @Public()
  @ResolveField(() => String)
  label(): string {
    return 'invoice';
  }
}

function invoiceApp(fieldResolverEnhancers?: ('guards' | 'filters')[]): Type<unknown> {
  @Module({
    imports: [
      AuthModule.forRoot({ authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })] }),
      GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        autoSchemaFile: true,
        graphiql: false,
        ...(fieldResolverEnhancers === undefined ? {} : { fieldResolverEnhancers }),
      }),
    ],
    providers: [InvoiceResolver],
  })
  class InvoiceAppModule {}
  return InvoiceAppModule;
}

describe.each(ADAPTERS)('securityReport() of GraphQL field resolvers on a %s app', (adapter) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('without fieldResolverEnhancers: field resolvers are listed as not guarded, with a warning, and are as open as their parent', async () => {
    t = await startApp(adapter, { imports: [invoiceApp()] });
    const report = await securityReport(t.app);
    expect(formatSecurityReport(report)).toBe(
      [
        '# 4 handlers, 1 public',
        'graphql Invoice.label  InvoiceResolver.label  not guarded',
        `  ! ${FIELD_WARNING}`,
        'graphql Invoice.total  InvoiceResolver.total  not guarded',
        `  ! ${FIELD_WARNING}`,
        'graphql Query.invoice  InvoiceResolver.invoice  backends: jwt  guards: IsAuthenticated',
        'graphql Query.invoices  InvoiceResolver.invoices  public',
        '',
      ].join('\n'),
    );
    expect(report.find((entry) => entry.route === 'Invoice.total')).toEqual({
      transport: 'graphql',
      route: 'Invoice.total',
      handler: 'InvoiceResolver.total',
      public: false,
      guarded: false,
      backends: [],
      guards: [],
      permissions: [],
      warnings: [FIELD_WARNING],
    });
    // What the report says: an anonymous caller reaches `total` through the public `invoices`.
    const response = await t.http.post('/graphql').send({ query: '{ invoices { id total label } }' });
    expect(response.body).toEqual({ data: { invoices: [{ id: '1', total: '10 EUR', label: 'invoice' }] } });
  });

  it("with fieldResolverEnhancers: ['guards', 'filters']: field resolvers carry their plan like queries", async () => {
    t = await startApp(adapter, { imports: [invoiceApp(['guards', 'filters'])] });
    const report = await securityReport(t.app);
    expect(formatSecurityReport(report)).toBe(
      [
        '# 4 handlers, 2 public',
        'graphql Invoice.label  InvoiceResolver.label  public',
        'graphql Invoice.total  InvoiceResolver.total  backends: jwt  guards: IsAuthenticated',
        'graphql Query.invoice  InvoiceResolver.invoice  backends: jwt  guards: IsAuthenticated',
        'graphql Query.invoices  InvoiceResolver.invoices  public',
        '',
      ].join('\n'),
    );
    expect(report.every((entry) => entry.guarded && entry.warnings.length === 0)).toBe(true);
    const response = await t.http.post('/graphql').send({ query: '{ invoices { id total label } }' });
    expect(response.body.errors[0].extensions.code).toBe('credentials_missing');
  });
});
