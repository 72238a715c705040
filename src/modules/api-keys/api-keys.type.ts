import { Field, ID, InputType, ObjectType, registerEnumType } from "type-graphql";
import { UserError } from "../../common/payload.js";
import { DateTimeScalar } from "../../common/scalars.js";
import { Organisation } from "../organisations/organisations.type.js";

export enum ApiKeyKind {
  ADMIN = "ADMIN",
  PUBLISHABLE = "PUBLISHABLE",
  SECRET = "SECRET",
}

registerEnumType(ApiKeyKind, {
  name: "ApiKeyKind",
  description: "What a key may do: see the README, \"Keys and who may do what\".",
  valuesConfig: {
    ADMIN: { description: "ak_…: everything. For operators and their automation." },
    PUBLISHABLE: { description: "pk_…: browser-safe; only from its allowed origins; what anonymous callers may do, with registrations attributed to its partner." },
    SECRET: { description: "sk_…: server-side; also reads and cancels the registrations of its partner's events." },
  },
});

@ObjectType({ description: "An API key. The key itself is shown once, by createApiKey; only its hash is stored." })
export class ApiKey {
  @Field(() => ID)
  id!: string;

  @Field(() => ApiKeyKind)
  kind!: ApiKeyKind;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: "The first characters of the key (e.g. pk_Xy3…), to recognise it; not enough to use it." })
  prefix!: string;

  @Field(() => Organisation, { nullable: true, description: "The partner a PUBLISHABLE or SECRET key belongs to." })
  organisation?: Organisation | null;

  @Field(() => [String], { description: "Origins a PUBLISHABLE key may be used from (also the CORS allow-list)." })
  allowedOrigins!: string[];

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: "Updated at most once a minute." })
  lastUsedAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt!: Date | null;
}

@InputType()
export class CreateApiKeyInput {
  @Field(() => ApiKeyKind)
  kind!: ApiKeyKind;

  @Field(() => String, { description: "What the key is for, e.g. \"MILA website\". At most 100 characters." })
  name!: string;

  @Field(() => ID, { nullable: true, description: "Required for PUBLISHABLE and SECRET keys; not allowed for ADMIN keys." })
  organisationId?: string | null;

  @Field(() => [String], {
    nullable: true,
    description: "PUBLISHABLE keys only: the origins of the sites that use it, e.g. https://mentalizing.example (1 to 20, each at most 255 characters).",
  })
  allowedOrigins?: string[] | null;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => String, { nullable: true, description: "The key in clear text. Shown only in this response: store it now." })
  key?: string | null;

  @Field(() => ApiKey, { nullable: true })
  apiKey?: ApiKey | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType()
export class ApiKeyPayload {
  @Field(() => ApiKey, { nullable: true })
  apiKey?: ApiKey | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
