import { Field, InputType } from "type-graphql";
import { EmailAddressScalar, URLScalar } from "../../common/scalars.js";

@InputType()
export class OrganisationInput {
  @Field(() => String)
  slug!: string;

  @Field(() => String)
  name!: string;

  @Field(() => URLScalar, { nullable: true })
  website?: string | null;

  @Field(() => EmailAddressScalar, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  phone?: string | null;
}
