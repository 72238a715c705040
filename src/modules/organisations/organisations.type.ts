import { Directive, Field, Int, ObjectType } from "type-graphql";
import { catalogueHint, partOfParentHint } from "../../cache/cache-hints.js";
import { PageInfo } from "../../common/connection.js";
import type { organisations } from "../../db/schema.js";
import { EmailAddressScalar, URLScalar } from "../../common/scalars.js";
import { Node } from "../node/node.type.js";

export type OrganisationRow = typeof organisations.$inferSelect;

@ObjectType({ implements: Node, description: "A training centre, partner or sponsor." })
@Directive(catalogueHint)
export class Organisation extends Node {
  @Field(() => String)
  slug!: string;

  @Field(() => String)
  name!: string;

  @Field(() => URLScalar, { nullable: true })
  website!: string | null;

  @Field(() => EmailAddressScalar, { nullable: true })
  email!: string | null;

  @Field(() => String, { nullable: true })
  phone!: string | null;
}

@ObjectType()
@Directive(partOfParentHint)
export class OrganisationEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => Organisation)
  node!: Organisation;
}

@ObjectType()
@Directive(catalogueHint)
export class OrganisationConnection {
  @Field(() => [OrganisationEdge])
  edges!: OrganisationEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}
