import { and, eq, ne } from "drizzle-orm";
import { DomainError } from "../../common/errors.js";
import { newId } from "../../common/ids.js";
import { InputChecker, limits, slugPattern } from "../../common/validate.js";
import { organisations } from "../../db/schema.js";
import type { Deps } from "../../deps.js";
import type { OrganisationInput } from "./organisations.inputs.js";
import type { OrganisationRow } from "./organisations.type.js";

function checkOrganisation({ db }: Deps, input: OrganisationInput, id: string | null) {
  const check = new InputChecker();
  const slug = check.requiredText(["input", "slug"], input.slug, limits.slug);
  if (slug && !slugPattern.test(slug)) check.add("INVALID", "slug may contain only lower-case letters, digits and single hyphens.", ["input", "slug"]);
  const values = {
    slug,
    name: check.requiredText(["input", "name"], input.name, limits.title),
    website: input.website ?? null,
    email: input.email ?? null,
    phone: check.phone(["input", "phone"], input.phone),
  };
  const taken = db
    .select({ id: organisations.id })
    .from(organisations)
    .where(id ? and(eq(organisations.slug, slug), ne(organisations.id, id)) : eq(organisations.slug, slug))
    .get();
  if (taken) check.add("INVALID", `The slug "${slug}" is taken by another organisation.`, ["input", "slug"]);
  check.throwIfAny();
  return values;
}

export function createOrganisation(deps: Deps, input: OrganisationInput): OrganisationRow {
  const values = checkOrganisation(deps, input, null);
  const now = deps.clock.now();
  return deps.db.insert(organisations).values({ id: newId("organisation"), ...values, createdAt: now, updatedAt: now }).returning().get();
}

export function updateOrganisation(deps: Deps, id: string, input: OrganisationInput): OrganisationRow {
  const exists = deps.db.select({ id: organisations.id }).from(organisations).where(eq(organisations.id, id)).get();
  if (!exists) throw new DomainError("NOT_FOUND", "No organisation has this id.", ["id"]);
  const values = checkOrganisation(deps, input, id);
  return deps.db.update(organisations).set({ ...values, updatedAt: deps.clock.now() }).where(eq(organisations.id, id)).returning().get()!;
}
