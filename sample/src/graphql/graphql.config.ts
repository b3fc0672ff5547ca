import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';

/**
 * Apollo at /graphql, code-first with the schema kept in memory. `fieldResolverEnhancers`
 * makes Nest run the guard (and the error filter) on field resolvers too; without it a
 * protected `@ResolveField()` stops the app at start-up. Subscriptions over graphql-ws.
 */
export const SampleGraphqlModule = GraphQLModule.forRoot<ApolloDriverConfig>({
  driver: ApolloDriver,
  autoSchemaFile: true,
  subscriptions: { 'graphql-ws': true },
  fieldResolverEnhancers: ['guards', 'filters'],
  // Errors carry our code in `extensions`; no server stack traces to clients, in development either.
  includeStacktraceInErrorResponses: false,
});
