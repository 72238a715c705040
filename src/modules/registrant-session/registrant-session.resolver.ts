import { Arg, Ctx, Field, Mutation, ObjectType, Resolver } from "type-graphql";
import { enforceRateLimit } from "../../auth/rate-limit.js";
import { toPayload, UserError } from "../../common/payload.js";
import { DateTimeScalar, EmailAddressScalar } from "../../common/scalars.js";
import type { Context } from "../../context.js";
import { NewsletterPayload } from "../newsletter/newsletter.resolver.js";
import { requestSignInLink, signInWithLink } from "./registrant-session.service.js";

@ObjectType()
export class SignInPayload {
  @Field(() => String, { nullable: true, description: "Bearer token for the registrant's later requests (myRegistrations, cancel, early access)." })
  sessionToken?: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  expiresAt?: Date | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@Resolver()
export class RegistrantSessionResolver {
  @Mutation(() => NewsletterPayload, { description: "Emails a sign-in link; always ok, whether or not the address is known." })
  requestSignInLink(@Ctx() ctx: Context, @Arg("email", () => EmailAddressScalar) email: string) {
    return toPayload(async () => {
      await enforceRateLimit(ctx, "requestSignInLink", email);
      await requestSignInLink(ctx.deps, email);
      return { ok: true };
    }, { ok: false });
  }

  @Mutation(() => SignInPayload, { description: "Exchanges the token from a sign-in link for a registrant session token." })
  signInWithLink(@Ctx() ctx: Context, @Arg("token", () => String) token: string) {
    return toPayload(() => signInWithLink(ctx.deps, token));
  }
}
