import { Injectable, Module, type DynamicModule, type Type } from '@nestjs/common';
import { Args, Field, ID, Mutation, ObjectType, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { EventEmitter, on } from 'node:events';
import {
  Auth,
  AuthContext,
  AuthContextService,
  AuthModule,
  CurrentUser,
  IsAdmin,
  IsAuthenticated,
  JwtAuthentication,
  Permissions,
  Public,
  type RequestContext,
} from '../../src/index.js';
import { claims, hs } from '../utils/tokens.js';

/** The GraphQL e2e apps (Apollo and Mercurius drivers): code-first resolvers under nestjs-warden's decorators. */
export const SECRET = 'g'.repeat(32);
export const token = (extra: Record<string, unknown> = {}): string => hs(claims(extra), SECRET);
export const bearer = (extra: Record<string, unknown> = {}): string => `Bearer ${token(extra)}`;

/** Events for subscriptions: a minimal pub/sub over an EventEmitter (no graphql-subscriptions needed). */
@Injectable()
export class Events {
  readonly emitter = new EventEmitter();
  /** An async iterator of `{ [field]: value }` for each `publish(topic, value)`. */
  iterator(topic: string, field: string): AsyncIterableIterator<Record<string, unknown>> {
    const source = on(this.emitter, topic);
    const iterator: AsyncIterableIterator<Record<string, unknown>> = {
      next: async () => {
        const next = await source.next();
        return next.done === true ? { done: true, value: undefined } : { done: false, value: { [field]: (next.value as unknown[])[0] } };
      },
      return: async () => {
        await source.return?.();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
  publish(topic: string, value: string): void {
    this.emitter.emit(topic, value);
  }
  listeners(topic: string): number {
    return this.emitter.listenerCount(topic);
  }
}

@Injectable()
export class AuditService {
  readonly deleted: string[] = [];
  constructor(private readonly auth: AuthContextService) {}
  who(): string {
    return `audited ${this.auth.userId ?? 'anonymous'}`;
  }
}

@ObjectType()
export class Post {
  @Field(() => ID)
  id!: string;
  @Field()
  title!: string;
}

@Resolver()
export class RootResolver {
  constructor(
    private readonly audit: AuditService,
    private readonly events: Events,
  ) {}

  @Public()
  @Query(() => String)
  hello(): string {
    return 'world';
  }

  @Query(() => String, { nullable: true })
  secret(@AuthContext() context: RequestContext): string {
    return `secret for ${context.userId}`;
  }

  @Query(() => String)
  me(@CurrentUser() user: { id: string }): string {
    return `user ${user.id}`;
  }

  @Public()
  @Query(() => String)
  publicContext(@AuthContext() context: RequestContext): string {
    return `backend ${String(context.authBackend)}`;
  }

  @Query(() => String)
  whoAmI(): string {
    return this.audit.who();
  }

  @Auth({ guards: [IsAdmin()] })
  @Query(() => String)
  adminOnly(): string {
    return 'admin answer';
  }

  @Permissions('posts:delete')
  @Mutation(() => Boolean)
  deletePost(@Args('id') id: string): boolean {
    this.audit.deleted.push(id);
    return true;
  }

  @Public()
  @Query(() => [Post])
  posts(): Post[] {
    return [{ id: '1', title: 'first' }];
  }

  @Subscription(() => String)
  ticks(): AsyncIterableIterator<unknown> {
    return this.events.iterator('tick', 'ticks');
  }

  @Public()
  @Subscription(() => String)
  publicTicks(): AsyncIterableIterator<unknown> {
    return this.events.iterator('public', 'publicTicks');
  }

  @Permissions('ticks:admin')
  @Subscription(() => String)
  adminTicks(): AsyncIterableIterator<unknown> {
    return this.events.iterator('admin', 'adminTicks');
  }
}

/** Class-level decorators on resolvers. */
@Public()
@Resolver()
export class OpenResolver {
  @Query(() => String)
  open(): string {
    return 'open';
  }

  @Auth({ guards: [IsAuthenticated()] })
  @Query(() => String)
  closedUnderPublic(@AuthContext() context: RequestContext): string {
    return `closed for ${context.userId}`;
  }
}

@Permissions('reports:read')
@Resolver()
export class ReportResolver {
  @Query(() => String)
  report(): string {
    return 'report';
  }
}

/** Field resolvers on `Post` (reached through the public `posts` query). */
@Resolver(() => Post)
export class PostFieldsResolver {
  @Permissions('notes:read')
  @ResolveField(() => String, { nullable: true })
  secretNote(@Parent() post: Post): string {
    return `note on ${post.id}`;
  }

  @Public()
  @ResolveField(() => String)
  excerpt(@Parent() post: Post): string {
    return post.title.slice(0, 3);
  }
}

/** The module under test; `graphql` is the driver's `GraphQLModule.forRoot(...)`. */
export function appModule(graphql: DynamicModule, resolvers: Function[] = [RootResolver, OpenResolver, ReportResolver]): Type<unknown> {
  @Module({
    imports: [
      AuthModule.forRoot({
        authentication: [new JwtAuthentication({ secret: SECRET, algorithms: ['HS256'] })],
        tokens: { secret: SECRET },
      }),
      graphql,
    ],
    providers: [AuditService, Events, ...(resolvers as never[])],
  })
  class GraphqlAppModule {}
  return GraphqlAppModule;
}

/** The body of a GraphQL response. */
export interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; status?: number } }[];
}

/** The error codes of a response, by path. */
export function codes(body: GraphqlBody): Record<string, string | undefined> {
  return Object.fromEntries((body.errors ?? []).map((error) => [(error.path ?? []).join('.'), error.extensions?.code]));
}
