import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectBadUserInput, expectOneUserError } from "../helpers/catalogue.js";
import { snapshotDatabase } from "../helpers/db-snapshot.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const ORGANISATION_FIELDS = /* GraphQL */ `fragment OrganisationFields on Organisation { id slug name website email phone }`;

const CREATE_ORGANISATION = /* GraphQL */ `
  mutation CreateOrganisation($input: OrganisationInput!) {
    createOrganisation(input: $input) { organisation { ...OrganisationFields } userErrors { field message code } }
  }
  ${ORGANISATION_FIELDS}
`;

const UPDATE_ORGANISATION = /* GraphQL */ `
  mutation UpdateOrganisation($id: ID!, $input: OrganisationInput!) {
    updateOrganisation(id: $id, input: $input) { organisation { ...OrganisationFields } userErrors { field message code } }
  }
  ${ORGANISATION_FIELDS}
`;

const ORGANISATION = /* GraphQL */ `
  query Organisation($slug: String!) { organisation(slug: $slug) { ...OrganisationFields } }
  ${ORGANISATION_FIELDS}
`;

let counter = 0;
function organisationInput(overrides: Record<string, unknown> = {}) {
  counter += 1;
  return {
    slug: `mentalizing-initiative-${counter}`,
    name: "Mentalizing Initiative Los Angeles",
    website: "https://www.mentalizinginitiative.org/",
    email: "info@mentalizing.example",
    phone: "+1 310-859-7912",
    ...overrides,
  };
}

describe("createOrganisation and updateOrganisation (admin)", () => {
  let server: TestServer;
  let existing: { id: string; slug: string };
  beforeAll(async () => {
    server = await startTestServer();
    const created = await server.admin(CREATE_ORGANISATION, { input: organisationInput({ slug: "anna-freud-centre", name: "Anna Freud Centre" }) });
    existing = created.data.createOrganisation.organisation;
  });
  afterAll(() => server.close());

  it("creates an organisation that anyone can read by its slug", async () => {
    // given
    const input = organisationInput();

    // when
    const { data, errors } = await server.admin(CREATE_ORGANISATION, { input });

    // then
    expect(errors).toBeUndefined();
    expect(data.createOrganisation.userErrors).toEqual([]);
    expect(data.createOrganisation.organisation).toEqual({ id: expect.stringMatching(/^org_/), ...input });
    const read = await server.gql(ORGANISATION, { slug: input.slug });
    expect(read.data.organisation).toEqual(data.createOrganisation.organisation);
  });

  it("trims text and leaves optional facts null", async () => {
    // when
    const { data } = await server.admin(CREATE_ORGANISATION, { input: { slug: "  lifespan-learning-institute ", name: "  Lifespan Learning Institute  " } });

    // then
    expect(data.createOrganisation.organisation).toMatchObject({ slug: "lifespan-learning-institute", name: "Lifespan Learning Institute", website: null, email: null, phone: null });
  });

  it("updates every field, and an organisation may keep its own slug", async () => {
    // given
    const created = await server.admin(CREATE_ORGANISATION, { input: organisationInput() });
    const { id, slug } = created.data.createOrganisation.organisation;

    // when
    const renamed = await server.admin(UPDATE_ORGANISATION, { id, input: { slug, name: "MILA", website: "https://mila.example/", email: "hello@mila.example", phone: "+44 20 7794 2313" } });
    const moved = await server.admin(UPDATE_ORGANISATION, { id, input: { slug: `${slug}-renamed`, name: "MILA" } });

    // then
    expect(renamed.data.updateOrganisation.userErrors).toEqual([]);
    expect(renamed.data.updateOrganisation.organisation).toEqual({ id, slug, name: "MILA", website: "https://mila.example/", email: "hello@mila.example", phone: "+44 20 7794 2313" });
    expect(moved.data.updateOrganisation.organisation).toEqual({ id, slug: `${slug}-renamed`, name: "MILA", website: null, email: null, phone: null });
    expect((await server.gql(ORGANISATION, { slug })).data.organisation).toBeNull();
  });

  const refusedByService: [string, () => Record<string, unknown>, string[], string][] = [
    ["a slug another organisation has", () => organisationInput({ slug: "anna-freud-centre" }), ["input", "slug"], "INVALID"],
    ["a slug with capitals and spaces", () => organisationInput({ slug: "Anna Freud" }), ["input", "slug"], "INVALID"],
    ["a slug with a double hyphen", () => organisationInput({ slug: "anna--freud" }), ["input", "slug"], "INVALID"],
    ["a blank slug", () => organisationInput({ slug: "  " }), ["input", "slug"], "REQUIRED"],
    ["a slug over 80 characters", () => organisationInput({ slug: "a".repeat(81) }), ["input", "slug"], "TOO_LONG"],
    ["a blank name", () => organisationInput({ name: "" }), ["input", "name"], "REQUIRED"],
    ["a name over 200 characters", () => organisationInput({ name: "n".repeat(201) }), ["input", "name"], "TOO_LONG"],
    ["a phone number that is not one", () => organisationInput({ phone: "call us" }), ["input", "phone"], "INVALID"],
  ];

  it.each(refusedByService)("createOrganisation refuses %s with a userError and stores nothing", async (_what, input, field, code) => {
    // given
    const before = await snapshotDatabase(server);

    // when
    const result = await server.admin(CREATE_ORGANISATION, { input: input() });

    // then
    expectOneUserError(result, "createOrganisation", field, code, "organisation");
    expect(await snapshotDatabase(server)).toEqual(before);
  });

  it.each(refusedByService)("updateOrganisation refuses %s with a userError and changes nothing", async (_what, input, field, code) => {
    // given
    const original = organisationInput();
    const created = await server.admin(CREATE_ORGANISATION, { input: original });
    const id = created.data.createOrganisation.organisation.id;
    const before = await snapshotDatabase(server);

    // when
    const result = await server.admin(UPDATE_ORGANISATION, { id, input: input() });

    // then
    expectOneUserError(result, "updateOrganisation", field, code, "organisation");
    expect(await snapshotDatabase(server)).toEqual(before);
    expect((await server.gql(ORGANISATION, { slug: original.slug })).data.organisation).toEqual({ id, ...original });
  });

  it.each([
    ["an email address that is not one", { email: "info at mila" }, /input\.email/],
    ["a website that is not an http(s) URL", { website: "javascript:alert(1)" }, /input\.website/],
    ["a missing name", { name: null }, /input\.name/],
  ])("createOrganisation refuses %s with BAD_USER_INPUT and stores nothing", async (_what, overrides, mentions) => {
    // given
    const before = await snapshotDatabase(server);

    // when
    const result = await server.admin(CREATE_ORGANISATION, { input: organisationInput(overrides) });

    // then
    expectBadUserInput(result, mentions);
    expect(await snapshotDatabase(server)).toEqual(before);
  });

  it("updateOrganisation with an id no organisation has answers NOT_FOUND and changes nothing", async () => {
    // given
    const before = await snapshotDatabase(server);

    // when
    const result = await server.admin(UPDATE_ORGANISATION, { id: "org_01ARZ3NDEKTSV4RRFFQ69G5FAV", input: organisationInput() });

    // then
    expectOneUserError(result, "updateOrganisation", ["id"], "NOT_FOUND", "organisation");
    expect(await snapshotDatabase(server)).toEqual(before);
  });

  it("reports every problem of one input at once", async () => {
    // when
    const result = await server.admin(CREATE_ORGANISATION, { input: { slug: existing.slug, name: " ", phone: "nope" } });

    // then
    const fields = result.data.createOrganisation.userErrors.map((error: { field: string[] }) => error.field.join("."));
    expect(fields.sort()).toEqual(["input.name", "input.phone", "input.slug"]);
  });
});
