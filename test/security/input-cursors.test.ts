import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { emailedToken } from "../helpers/outbox.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { createPartner, setPartners } from "./fixtures.js";

/*
 * A cursor names the list it came from: each list accepts its own cursors and refuses
 * every other list's with BAD_USER_INPUT, over HTTP, even when the other key happens
 * to have the same shape (two lists sorted by a time, two by a name).
 */

const LISTS = {
  events: `query ($after: String) { list: events(first: 1, after: $after) { pageInfo { endCursor } edges { node { id } } } }`,
  registrations: `query ($after: String) { list: registrations(first: 1, after: $after) { pageInfo { endCursor } edges { node { id } } } }`,
  emailDeliveries: `query ($after: String) { list: emailDeliveries(first: 1, after: $after) { pageInfo { endCursor } edges { node { id } } } }`,
  newsletterSubscribers: `query ($after: String) { list: newsletterSubscribers(first: 1, after: $after) { pageInfo { endCursor } edges { node { email } } } }`,
  venues: `query ($after: String) { list: venues(first: 1, after: $after) { pageInfo { endCursor } edges { node { id } } } }`,
  organisations: `query ($after: String) { list: organisations(first: 1, after: $after) { pageInfo { endCursor } edges { node { id } } } }`,
} as const;
type ListName = keyof typeof LISTS;

/** Nested lists of the same kind as a top-level one take its cursors. */
const ORGANISATION_EVENTS = `query ($slug: String!, $after: String) { organisation(slug: $slug) { events(first: 1, after: $after) { edges { node { id } } } } }`;
const EVENT_REGISTRATIONS = `query ($id: ID, $after: String) { event(id: $id) { registrations(first: 1, after: $after) { edges { node { id } } } } }`;

const SUBSCRIBE = `mutation ($email: EmailAddress!) { subscribeToNewsletter(input: { email: $email, consent: true }) { ok } }`;
const CONFIRM = `mutation ($token: String!) { confirmNewsletterSubscription(token: $token) { ok } }`;

describe("cursors name their list", () => {
  let server: TestServer;
  let course: TestCourse;
  const cursors = {} as Record<ListName, string>;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
    // given: two of everything, so every list has a second page
    course = await createCourse(server);
    await createCourse(server);
    const host = await createPartner(server, "cursor-host");
    const sponsor = await createPartner(server, "cursor-sponsor");
    await setPartners(server, course.id, [
      { organisationId: host, roles: ["HOST"] },
      { organisationId: sponsor, roles: ["SPONSOR"] },
    ]);
    for (const email of ["one@clinic.example", "two@clinic.example"]) {
      await server.gql(REGISTER, { input: registrationInput(course, {}, { email }) });
      await server.gql(SUBSCRIBE, { email });
      await server.gql(CONFIRM, { token: await emailedToken(server, email, "NEWSLETTER_CONFIRM", "newsletter/confirm") });
    }
    for (const list of Object.keys(LISTS) as ListName[]) {
      const { data, errors } = await server.admin(LISTS[list]);
      if (!data?.list?.pageInfo.endCursor) throw new Error(`${list} gave no cursor: ${JSON.stringify(errors ?? data)}`);
      cursors[list] = data.list.pageInfo.endCursor;
    }
  });
  afterAll(() => server?.close());

  it("each list takes its own cursor and refuses every other list's with BAD_USER_INPUT", async () => {
    // when
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const list of Object.keys(LISTS) as ListName[]) {
      for (const from of Object.keys(LISTS) as ListName[]) {
        const { data, errors } = await server.admin(LISTS[list], { after: cursors[from] });
        outcomes[`${list} after a ${from} cursor`] = errors?.length ? `${errors[0]!.extensions?.code}: ${errors[0]!.message}` : `page of ${data.list.edges.length}`;
        expected[`${list} after a ${from} cursor`] = from === list ? "page of 1" : `BAD_USER_INPUT: \`after\` is a cursor of the ${from} list; this is the ${list} list`;
      }
    }

    // then
    expect(outcomes).toEqual(expected);
  });

  it("refuses them without credentials too: a public venues list does not read an events cursor", async () => {
    // when
    const { status, errors, data } = await server.gql(LISTS.venues, { after: cursors.events });

    // then
    expect(status).toBe(200);
    expect(data).toBeNull();
    expect(errors?.map((error) => error.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });

  it("lets the same kind of list, reached through an object, take the top-level list's cursor and no other", async () => {
    // when
    const organisationEvents = await server.gql(ORGANISATION_EVENTS, { slug: "cursor-host", after: cursors.events });
    const organisationEventsFromVenues = await server.gql(ORGANISATION_EVENTS, { slug: "cursor-host", after: cursors.venues });
    const eventRegistrations = await server.admin(EVENT_REGISTRATIONS, { id: course.id, after: cursors.registrations });
    const eventRegistrationsFromEvents = await server.admin(EVENT_REGISTRATIONS, { id: course.id, after: cursors.events });

    // then
    expect(organisationEvents.errors).toBeUndefined();
    expect(organisationEventsFromVenues.errors?.map((error) => error.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
    expect(eventRegistrations.errors).toBeUndefined();
    expect(eventRegistrations.data.event.registrations.edges).toHaveLength(1);
    expect(eventRegistrationsFromEvents.errors?.map((error) => error.extensions?.code)).toEqual(["BAD_USER_INPUT"]);
  });
});
