import { Field, ID, ObjectType } from '@nestjs/graphql';

/** A report, as GraphQL clients see it. */
@ObjectType()
export class Report {
  @Field(() => ID)
  id!: string;

  @Field()
  title!: string;

  /** The user id of whoever filed it. */
  @Field(() => String, { nullable: true })
  by!: string | null;
}

/** The caller, read from `request.context` (the token), with no database access. */
@ObjectType()
export class Caller {
  @Field(() => String, { nullable: true })
  userId!: string | null;

  @Field(() => [String])
  roles!: string[];

  @Field(() => [String])
  permissions!: string[];
}
