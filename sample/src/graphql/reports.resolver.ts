import { randomUUID } from 'node:crypto';
import { Args, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { AuthContext, Permissions, Public, type RequestContext } from 'nestjs-warden';
import { ReportFeed } from './report-feed.service.js';
import { Caller, Report } from './report.model.js';

/**
 * GraphQL at /graphql, under the same global guard as the controllers: every field needs a
 * credential (the `Authorization` header of the HTTP request) unless `@Public()`. Refusals
 * come back in `errors[].extensions` (`{ code: 'permission_denied', status: 403 }`).
 */
@Resolver(() => Report)
export class ReportsResolver {
  constructor(private readonly feed: ReportFeed) {}

  @Public()
  @Query(() => String)
  hello(): string {
    return 'Hello, anyone';
  }

  /** Any authenticated caller; nullable, so `{ hello whoami }` without a token still answers `hello`. */
  @Query(() => Caller, { nullable: true })
  whoami(@AuthContext() context: RequestContext): Caller {
    return { userId: context.userId, roles: context.roles, permissions: context.permissions };
  }

  /** Needs `reports:write` (alice); a refused mutation does not run. */
  @Permissions('reports:write')
  @Mutation(() => Report)
  fileReport(@Args('title') title: string, @AuthContext() context: RequestContext): Report {
    const report: Report = { id: randomUUID(), title, by: context.userId };
    this.feed.publish(report);
    return report;
  }

  /**
   * Over graphql-ws at ws://…/graphql, the token in the `connection_init` payload
   * (`connectionParams: { authorization: 'Bearer …' }`); a revoked or expired token closes the
   * connection (4401).
   */
  @Permissions('reports:read')
  @Subscription(() => Report, { resolve: (report: Report) => report })
  reportFiled(): AsyncIterableIterator<Report> {
    return this.feed.filed();
  }
}
