// Runs on both databases: the processes share one SQLite file (sqlite project) or one fresh PostgreSQL database (postgres project).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REGISTER, registrationInput } from "../helpers/factories.js";
import type { ServerProcess } from "../helpers/process.js";
import { createUpcomingCourse, startSharedDialectDatabase, type ApiClient, type SharedDialectDatabase } from "../helpers/shared-database.js";

/*
 * Two API processes on one database, both with the response cache on (the default).
 * What one process commits must reach the other's cached anonymous reads at once: on
 * SQLite its data version sees other connections' commits, on PostgreSQL each commit is
 * announced to the other processes by LISTEN/NOTIFY (src/db/postgres.ts,
 * src/cache/data-version.ts). A notification arrives a moment after the commit (under a
 * loaded machine, tens of milliseconds), so the reader is asked again for up to 1 s: far
 * within the cache's 5 s TTL, so a stale page would be served all along if the change did
 * not reach the reader.
 */

const EVENT_PAGE = /* GraphQL */ `query EventPage($slug: String!) { event(slug: $slug) { slug status seatsRemaining registrationOpen } }`;
const CANCEL_EVENT = /* GraphQL */ `mutation Cancel($id: ID!) { cancelEvent(id: $id, reason: "Venue unavailable") { userErrors { code } } }`;

/** The reader's answer once it shows what `done` expects, or its last one after 1 s. */
async function readUntil(reader: ApiClient, slug: string, done: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 1_000;
  for (;;) {
    const event = (await reader.gql(EVENT_PAGE, { slug })).data.event as Record<string, unknown>;
    if (done(event) || Date.now() > deadline) return event;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("response cache across processes on one database", () => {
  let shared: SharedDialectDatabase;
  let reader: ServerProcess & { client: ApiClient };
  let changer: ServerProcess & { client: ApiClient };

  beforeAll(async () => {
    shared = await startSharedDialectDatabase();
    [reader, changer] = await Promise.all([shared.spawnApi(), shared.spawnApi()]);
  }, 120_000);
  afterAll(() => shared?.close());

  it("serves no cached anonymous read past another process's register or cancelEvent", async () => {
    for (let round = 1; round <= 3; round++) {
      // given a course whose page the reader has cached
      const { course } = await createUpcomingCourse(changer.client, { capacity: 20, requiresReview: false, priceMinor: 0 });
      const before = await reader.client.gql(EVENT_PAGE, { slug: course.slug });
      expect(before.data.event, `round ${round}`).toMatchObject({ status: "PUBLISHED", seatsRemaining: 20, registrationOpen: true });
      expect(before.headers.get("cache-control")).toBe("max-age=5, public");
      await reader.client.gql(EVENT_PAGE, { slug: course.slug });

      // when the other process registers someone
      const registered = await changer.client.gql(REGISTER, { input: registrationInput(course) });
      expect(registered.data.register.userErrors).toEqual([]);

      // then the reader's anonymous reads count the seat within a moment
      expect((await readUntil(reader.client, course.slug, (event) => event.seatsRemaining === 19)).seatsRemaining, `round ${round}`).toBe(19);

      // when the other process cancels the event
      expect((await changer.client.admin(CANCEL_EVENT, { id: course.id })).data.cancelEvent.userErrors).toEqual([]);

      // then the reader shows the cancellation within a moment
      expect(await readUntil(reader.client, course.slug, (event) => event.status === "CANCELLED"), `round ${round}`).toMatchObject({ status: "CANCELLED", registrationOpen: false });
    }
  });
});
