import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { requireAdmin } from "../../auth/guards.js";
import { toPayload } from "../../common/payload.js";
import type { Context } from "../../context.js";
import { Organisation } from "../organisations/organisations.type.js";
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRow } from "./api-keys.service.js";
import { ApiKey, ApiKeyPayload, CreateApiKeyInput, CreateApiKeyPayload } from "./api-keys.type.js";

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @Query(() => [ApiKey], { description: "Admins only. Every API key, newest first, revoked ones included." })
  apiKeys(@Ctx() ctx: Context): Promise<ApiKeyRow[]> {
    requireAdmin(ctx);
    return listApiKeys(ctx.deps.db);
  }

  @Mutation(() => CreateApiKeyPayload, { description: "Admin. Creates a key; the response is the only place the key is ever shown." })
  createApiKey(@Ctx() ctx: Context, @Arg("input", () => CreateApiKeyInput) input: CreateApiKeyInput) {
    requireAdmin(ctx);
    return toPayload(async () => {
      const { key, row } = await createApiKey(ctx.deps.db, ctx.deps.clock, input);
      return { key, apiKey: row };
    });
  }

  @Mutation(() => ApiKeyPayload, { description: "Admin. Revokes a key at once; requests with it then fail with UNAUTHENTICATED." })
  revokeApiKey(@Ctx() ctx: Context, @Arg("id", () => ID) id: string) {
    requireAdmin(ctx);
    return toPayload(async () => ({ apiKey: await revokeApiKey(ctx.deps.db, ctx.deps.clock, id) }));
  }

  @FieldResolver(() => Organisation, { nullable: true })
  organisation(@Root() key: ApiKeyRow, @Ctx() ctx: Context) {
    return key.organisationId ? ctx.loaders.organisationById.load(key.organisationId) : null;
  }
}
