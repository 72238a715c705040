import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { createKey, createPartner } from "./fixtures.js";

/*
 * A 401 or 403 met by an integrator or an admin says how to send a credential and where
 * an admin gets a key; the ones a registrant meets on the manage page speak to them.
 */

const ADMIN_QUERY = /* GraphQL */ `query { apiKeys { id } }`;
const READ_REGISTRATION = /* GraphQL */ `query ($id: ID!) { registration(id: $id) { id } }`;

const howToSend = "`Authorization: Bearer ak_…`";
const whereAdminsGetKeys = "`npm run keys -- create --admin`";

describe("401 and 403 answers say what to send and where an admin key comes from", () => {
  let server: TestServer;
  let secretKey: string;
  let registrationId: string;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z" });
    const organisationId = await createPartner(server, "mila-messages");
    secretKey = (await createKey(server, { kind: "SECRET", organisationId })).key;
    const course = await createCourse(server);
    registrationId = (await server.gql(REGISTER, { input: registrationInput(course) })).data.register.registration.id;
  });
  afterAll(() => server.close());

  it.each([
    ["no credentials on an admin operation", () => server.gql(ADMIN_QUERY), 401, "UNAUTHENTICATED"],
    ["a malformed Authorization header", () => server.gql(ADMIN_QUERY, {}, { headers: { authorization: "Token abc" } }), 401, "UNAUTHENTICATED"],
    ["an unknown key", () => server.gql(ADMIN_QUERY, {}, { token: "ak_0123456789abcdefghijklmnopqrstuv" }), 401, "UNAUTHENTICATED"],
    ["a partner's secret key on an admin operation", () => server.gql(ADMIN_QUERY, {}, { token: secretKey }), 403, "FORBIDDEN"],
    ["no credentials on a registration", () => server.gql(READ_REGISTRATION, { id: "reg_01H0000000000000000000000" }), 401, "UNAUTHENTICATED"],
  ] as const)("%s", async (_what, call, status, code) => {
    // when
    const result = await call();
    // then
    expect(result.status).toBe(status);
    const error = result.errors![0]!;
    expect(error.extensions?.code).toBe(code);
    expect(error.message).toContain(howToSend);
    expect(error.message).toContain(whereAdminsGetKeys);
  });

  it("keeps the registrant-facing answers free of operator advice", async () => {
    const result = await server.gql(READ_REGISTRATION, { id: registrationId }, { token: "mt_0123456789abcdefghijklmnopqrstuv" });
    expect(result.status).toBe(401);
    expect(result.errors![0]!.message).toBe("This manage link is not valid.");
  });
});
