import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId, newReference } from "../../src/common/ids.js";
import { registrations } from "../../src/db/tables.js";
import { countSeatsHeld } from "../../src/modules/events/events.service.js";
import { createCourse, REGISTER, registrationInput, type TestCourse } from "../helpers/factories.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const WAITLIST = /* GraphQL */ `
  query ($id: ID!) {
    event(id: $id) {
      seatsRemaining
      registrations(first: 100, status: [WAITLISTED]) { totalCount edges { node { waitlistPosition } } }
    }
  }
`;

const ROUNDS = 5;

describe("register under concurrency", () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ now: "2023-06-01T12:00:00Z", env: { RATE_LIMITS: "off" } });
  });
  afterAll(() => server.close());

  const registerAll = (inputs: unknown[]) => Promise.all(inputs.map((input) => server.gql(REGISTER, { input })));

  it.each(Array.from({ length: ROUNDS }, (_, round) => round + 1))("gives the last seat to exactly one of 50 concurrent applicants, the 49 others queue 1..49 (round %i)", async () => {
    // given a course with one seat left
    const course = await createCourse(server, { capacity: 3 });
    await registerAll([registrationInput(course), registrationInput(course)]);
    // when 50 apply at once
    const results = await registerAll(Array.from({ length: 50 }, () => registrationInput(course)));
    // then
    const statuses = results.map((result) => result.data.register.registration.status);
    expect(statuses.filter((status) => status === "PENDING_REVIEW")).toHaveLength(1);
    expect(statuses.filter((status) => status === "WAITLISTED")).toHaveLength(49);
    expect(await countSeatsHeld(server.app.deps.db, course.id)).toBe(3);
    const { data } = await server.admin(WAITLIST, { id: course.id });
    expect(data.event.seatsRemaining).toBe(0);
    expect(data.event.registrations.edges.map((edge: { node: { waitlistPosition: number } }) => edge.node.waitlistPosition)).toEqual(Array.from({ length: 49 }, (_, i) => i + 1));
  });

  it("holds exactly 100 seats when 500 apply at once for a course of 100", async () => {
    const course = await createCourse(server, { capacity: 100 });
    const results = await registerAll(Array.from({ length: 500 }, () => registrationInput(course)));
    const statuses = results.map((result) => result.data.register.registration.status);
    expect(statuses.filter((status) => status === "PENDING_REVIEW")).toHaveLength(100);
    expect(statuses.filter((status) => status === "WAITLISTED")).toHaveLength(400);
    expect(await countSeatsHeld(server.app.deps.db, course.id)).toBe(100);
  });

  it.each(Array.from({ length: ROUNDS }, (_, round) => round + 1))("makes one registration of 10 concurrent retries with one idempotency key, all answered alike (round %i)", async (round) => {
    const course = await createCourse(server);
    const input = registrationInput(course, { idempotencyKey: `checkout-${round}-${Date.now()}` });
    const results = await registerAll(Array.from({ length: 10 }, () => input));
    const payloads = results.map((result) => result.data.register);
    expect(new Set(payloads.map((payload) => JSON.stringify(payload))).size).toBe(1);
    expect(payloads[0].userErrors).toEqual([]);
    expect(payloads[0].manageToken).toMatch(/^mt_/);
    const [made] = await server.app.deps.db.select({ n: count() }).from(registrations).where(eq(registrations.eventId, course.id));
    expect(made!.n).toBe(1);
  });

  describe("negative control: an unsafe register with an await between the seat check and the insert", () => {
    const concurrentRequests = 50;
    let unsafe: Server;
    let unsafeUrl: string;
    let course: TestCourse;

    beforeAll(async () => {
      course = await createCourse(server, { capacity: 3 });
      const db = server.app.deps.db;
      let checked = 0;
      let releaseAll!: () => void;
      const allChecked = new Promise<void>((resolve) => (releaseAll = resolve));
      // The same decision as the real service, but the check and the insert are separate
      // steps with an await in between, as a naive async implementation would have them.
      unsafe = createServer(async (request, response) => {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const { email } = JSON.parse(Buffer.concat(chunks).toString());
        const held = await countSeatsHeld(db, course.id);
        // Wait until every concurrent request has made its check (or 2 s have passed): on a
        // loaded machine a 1 ms pause let requests run one after another and hid the race.
        checked++;
        if (checked >= concurrentRequests) releaseAll();
        await Promise.race([allChecked, new Promise((resolve) => setTimeout(resolve, 2_000))]);
        const now = new Date();
        await db.transaction((tx) =>
          tx
            .insert(registrations)
            .values({
              id: newId("registration"),
              eventId: course.id,
              reference: newReference("UNS"),
              status: held < 3 ? "PENDING_REVIEW" : "WAITLISTED",
              firstName: "Un",
              lastName: "Safe",
              email,
              emailNormalized: email,
              profession: "PSYCHIATRIST",
              manageTokenHash: newId("registration"),
              amountDueMinor: 0,
              waitlistedAt: held < 3 ? null : now,
              createdAt: now,
              updatedAt: now,
            })
            .run(),
        );
        response.end("{}");
      });
      await new Promise<void>((resolve) => unsafe.listen(0, "127.0.0.1", resolve));
      unsafeUrl = `http://127.0.0.1:${(unsafe.address() as AddressInfo).port}/`;
    });
    afterAll(() => new Promise<void>((resolve) => unsafe.close(() => resolve())));

    it("oversells under the same load, which proves the load overlaps and the safe tests can fail", async () => {
      await Promise.all(Array.from({ length: concurrentRequests }, (_, i) => fetch(unsafeUrl, { method: "POST", body: JSON.stringify({ email: `unsafe${i}@clinic.example` }) })));
      expect(await countSeatsHeld(server.app.deps.db, course.id)).toBeGreaterThan(3);
    });
  });
});
