import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../helpers/server.js";

/*
 * README's "Set up a course from scratch" works as written: its fenced graphql blocks
 * are run in order against a real server as the admin, each with the json blocks that
 * follow it as variables (one run per json block), `<id of NAME-OR-SLUG>` replaced by
 * the id an earlier answer gave for that name or slug, as the README tells a reader to.
 */

const HEADING = "### Set up a course from scratch";
const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

interface Step {
  operation: string;
  variables: Record<string, unknown> | undefined;
}

function readmeSteps(): Step[] {
  const start = README.indexOf(HEADING);
  if (start < 0) throw new Error(`README has no "${HEADING}" section`);
  const rest = README.slice(start + HEADING.length);
  const section = rest.slice(0, rest.search(/^#{1,3} /m) === -1 ? undefined : rest.search(/^#{1,3} /m));
  const blocks = [...section.matchAll(/^```(graphql|json)\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1]!, body: match[2]! }));
  const steps: Step[] = [];
  blocks.forEach((block, index) => {
    if (block.lang !== "graphql") return;
    const variableSets: Record<string, unknown>[] = [];
    for (const next of blocks.slice(index + 1)) {
      if (next.lang !== "json") break;
      variableSets.push(JSON.parse(next.body));
    }
    if (variableSets.length === 0) steps.push({ operation: block.body, variables: undefined });
    for (const variables of variableSets) steps.push({ operation: block.body, variables });
  });
  return steps;
}

/** Every object with an id in an answer, by its name and by its slug. */
function collectIds(value: unknown, into: Map<string, Set<string>>): void {
  if (Array.isArray(value)) return value.forEach((item) => collectIds(item, into));
  if (!value || typeof value !== "object") return;
  const object = value as Record<string, unknown>;
  if (typeof object.id === "string") {
    for (const key of [object.name, object.slug]) if (typeof key === "string") into.set(key, new Set([...(into.get(key) ?? []), object.id]));
  }
  Object.values(object).forEach((item) => collectIds(item, into));
}

function fillIn(value: unknown, ids: Map<string, Set<string>>, unresolved: string[]): unknown {
  if (typeof value === "string") {
    const placeholder = /^<id of (.+)>$/.exec(value);
    if (!placeholder) return value;
    const found = [...(ids.get(placeholder[1]!) ?? [])];
    if (found.length !== 1) unresolved.push(`${value}: ${found.length} ids`);
    return found[0] ?? value;
  }
  if (Array.isArray(value)) return value.map((item) => fillIn(item, ids, unresolved));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillIn(item, ids, unresolved)]));
  return value;
}

function userErrorsIn(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(userErrorsIn);
  if (!value || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, item]) => (key === "userErrors" && Array.isArray(item) ? item : userErrorsIn(item)));
}

const rootField = (operation: string) => /\{\s*(\w+)/.exec(operation)![1];

describe('README "Set up a course from scratch"', () => {
  let server: TestServer;
  const steps = readmeSteps();
  const answers: { step: Step; data: any; errors: unknown }[] = [];
  const unresolved: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ now: "2026-12-01T12:00:00Z" });
    // when: every step, in order, as the admin
    const ids = new Map<string, Set<string>>();
    for (const step of steps) {
      const variables = fillIn(step.variables, ids, unresolved) as Record<string, unknown> | undefined;
      const { data, errors } = await server.admin(step.operation, variables);
      answers.push({ step, data, errors });
      collectIds(data, ids);
    }
  });
  afterAll(() => server?.close());

  it("covers the whole set-up: organisations, venue, finding ids, event, partners, publishing", () => {
    // then
    const fields = steps.map((step) => rootField(step.operation));
    expect(fields).toEqual(["createOrganisation", "createOrganisation", "createVenue", "venues", "createEvent", "setEventPartners", "publishEvent", "event"]);
    expect(steps.find((step) => rootField(step.operation) === "venues")!.operation).toContain("organisations(");
  });

  it("runs every step without an error or a userError, every id found from an earlier answer", () => {
    // then
    expect(unresolved).toEqual([]);
    expect(answers.map(({ step, errors, data }) => ({ step: rootField(step.operation), errors: errors ?? null, userErrors: userErrorsIn(data) }))).toEqual(
      steps.map((step) => ({ step: rootField(step.operation), errors: null, userErrors: [] })),
    );
  });

  it("finds every id it needs in the venues and organisations lists", () => {
    // given
    const listed = new Map<string, Set<string>>();
    collectIds(answers.find(({ step }) => rootField(step.operation) === "venues")!.data, listed);

    // then
    for (const name of ["Westside Training Rooms", "westside-psychotherapy", "pacific-mentalizing"]) expect(listed.get(name)?.size, name).toBe(1);
  });

  it("ends with a published course open for registration, as described", async () => {
    // when
    const published = answers.at(-1)!.data.event;
    const anonymous = await server.gql(steps.at(-1)!.operation);

    // then
    expect(anonymous.data.event).toEqual(published);
    expect(published).toMatchObject({
      status: "PUBLISHED",
      registrationOpen: true,
      seatsRemaining: 24,
      startDate: "2027-09-15",
      endDate: "2027-09-17",
      price: { formatted: "$1,250.00" },
      venue: { name: "Westside Training Rooms", accessibility: { adaCompliant: true } },
      partners: [
        { roles: ["HOST"], organisation: { name: "Westside Psychotherapy Institute" } },
        { roles: ["DELIVERY_PARTNER", "BOOKING_PARTNER"], organisation: { name: "Pacific Mentalizing Network" } },
      ],
    });
    expect(published.sessions[0]).toEqual({ localStart: "2027-09-15T08:30", localEnd: "2027-09-15T16:30", timeZoneAbbreviation: "PDT" });
    const created = answers.find(({ step }) => rootField(step.operation) === "createEvent")!.data.createEvent.event;
    expect(created.startsAt).toBe("2027-09-15T15:30:00.000Z");
  });
});
