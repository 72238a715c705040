import { Arg, Ctx, Field, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from "type-graphql";
import { requireAdmin } from "../../auth/guards.js";
import { enforceRateLimit } from "../../auth/rate-limit.js";
import { PageInfo } from "../../common/connection.js";
import { DomainError } from "../../common/errors.js";
import { toPayload, UserError } from "../../common/payload.js";
import { DateTimeScalar, EmailAddressScalar } from "../../common/scalars.js";
import { InputChecker, limits } from "../../common/validate.js";
import type { Context } from "../../context.js";
import { confirmSubscription, listConfirmedSubscribers, startNewsletterOptIn, unsubscribe } from "./newsletter.service.js";

@InputType()
export class NewsletterInput {
  @Field(() => EmailAddressScalar)
  email!: string;

  @Field(() => String, { nullable: true })
  firstName?: string | null;

  @Field(() => Boolean, { description: "Must be true: explicit consent to the bi-monthly newsletter." })
  consent!: boolean;
}

@ObjectType()
export class NewsletterPayload {
  @Field(() => Boolean, { description: "Always true when the input was valid: never reveals whether the address was known." })
  ok!: boolean;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@ObjectType({ description: "A confirmed newsletter subscriber and the record of their consent." })
export class NewsletterSubscriber {
  @Field(() => ID)
  id!: string;

  @Field(() => EmailAddressScalar)
  email!: string;

  @Field(() => String, { nullable: true })
  firstName!: string | null;

  @Field(() => DateTimeScalar, { description: "When consent was given." })
  consentAt!: Date;

  @Field(() => String, { description: "How: FORM (subscribeToNewsletter) or REGISTRATION (the register checkbox)." })
  consentMethod!: string;

  @Field(() => String, { nullable: true, description: "Through which partner, site or event." })
  consentSource!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  confirmedAt!: Date | null;
}

@ObjectType()
export class NewsletterSubscriberEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => NewsletterSubscriber)
  node!: NewsletterSubscriber;
}

@ObjectType()
export class NewsletterSubscriberConnection {
  @Field(() => [NewsletterSubscriberEdge])
  edges!: NewsletterSubscriberEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int)
  totalCount!: number;
}

const ok = { ok: true };
const notOk = { ok: false };

@Resolver()
export class NewsletterResolver {
  @Mutation(() => NewsletterPayload, { description: "Starts a double opt-in: a NEWSLETTER_CONFIRM email with a confirmation link." })
  subscribeToNewsletter(@Ctx() ctx: Context, @Arg("input", () => NewsletterInput) input: NewsletterInput) {
    return toPayload(async () => {
      await enforceRateLimit(ctx, "subscribeToNewsletter", input.email);
      const check = new InputChecker();
      if (!input.consent) check.add("REQUIRED", "Tick the consent box to subscribe.", ["input", "consent"]);
      if (input.email.length > limits.email) check.add("TOO_LONG", `email must be at most ${limits.email} characters.`, ["input", "email"]);
      const firstName = check.text(["input", "firstName"], input.firstName, limits.name);
      check.throwIfAny();
      const viewer = ctx.viewer;
      await ctx.deps.db.transaction((tx) =>
        startNewsletterOptIn(tx, ctx.deps.clock, { email: input.email, firstName, method: "FORM", source: viewer.role === "PARTNER" ? viewer.organisationId : "api" }),
      );
      return ok;
    }, notOk);
  }

  @Mutation(() => NewsletterPayload, { description: "Confirms a subscription with the token from the NEWSLETTER_CONFIRM email." })
  confirmNewsletterSubscription(@Ctx() ctx: Context, @Arg("token", () => String) token: string) {
    return toPayload(async () => {
      if (token.length > 200 || !(await confirmSubscription(ctx.deps.db, ctx.deps.clock, token))) {
        throw new DomainError("INVALID", "This confirmation link is invalid or was already used.", ["token"]);
      }
      return ok;
    }, notOk);
  }

  @Mutation(() => NewsletterPayload, { description: "Unsubscribes with the token from the newsletter emails." })
  unsubscribeFromNewsletter(@Ctx() ctx: Context, @Arg("token", () => String) token: string) {
    return toPayload(async () => {
      if (token.length > 200 || !(await unsubscribe(ctx.deps.db, ctx.deps.clock, token))) throw new DomainError("INVALID", "This unsubscribe link is invalid.", ["token"]);
      return ok;
    }, notOk);
  }

  @Query(() => NewsletterSubscriberConnection, { description: "Admins only. Confirmed subscribers, for export." })
  newsletterSubscribers(
    @Ctx() ctx: Context,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20 }) first: number,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ) {
    requireAdmin(ctx);
    return listConfirmedSubscribers(ctx.deps.db, first, after);
  }
}
