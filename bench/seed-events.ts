/*
 * S3's catalogue and S4's event, created the way an operator would: through the admin
 * API of the running server, copying the demo course into new runs a week apart.
 */
import { DateTime } from "luxon";

type Gql = (query: string, variables?: Record<string, unknown>, token?: string) => Promise<{ data: any; errors?: unknown[] }>;

const DEMO_QUERY = `query ($id: ID!) { event(id: $id) {
  title summary description audience format timeZone venue { id } liveHours selfGuidedHours programmeLength
  capacity requiresReview waitlistEnabled bookingUrl price { amountMinor currency }
  contact { name email phone }
  sessions { title kind localStart localEnd }
  learningObjectives { text }
  eligibilityCriteria { text required }
  prerequisite { title description durationHours url accessLeadDays }
  partners { roles bookingUrl organisation { id } }
} }`;

const CREATE = "mutation ($input: EventInput!) { createEvent(input: $input) { event { id slug } userErrors { message } } }";
const PARTNERS_AND_PUBLISH = `mutation ($id: ID!, $partners: [EventPartnerInput!]!) {
  setEventPartners(eventId: $id, partners: $partners) { userErrors { message } }
  publishEvent(id: $id) { userErrors { message } }
}`;

export interface BenchEvent {
  id: string;
  slug: string;
}

/** Creates and publishes `count` copies of the demo event; the first has `firstCapacity` seats. */
export async function createBenchEvents(gql: Gql, adminKey: string, demoEventId: string, count: number, firstCapacity: number): Promise<BenchEvent[]> {
  const { data } = await gql(DEMO_QUERY, { id: demoEventId }, adminKey);
  const demo = data.event;
  const partners = demo.partners.map((p: any) => ({ organisationId: p.organisation.id, roles: p.roles, bookingUrl: p.bookingUrl }));
  const shift = (local: string, weeks: number) => DateTime.fromISO(local).plus({ weeks }).toFormat("yyyy-MM-dd'T'HH:mm");
  const created: BenchEvent[] = [];
  const createOne = async (i: number) => {
    const input = {
      slug: `bench-run-${String(i).padStart(3, "0")}`,
      title: `${demo.title} (bench run ${i})`,
      summary: demo.summary,
      description: demo.description,
      audience: demo.audience,
      format: demo.format,
      timeZone: demo.timeZone,
      venueId: demo.venue?.id ?? null,
      liveHours: demo.liveHours,
      selfGuidedHours: demo.selfGuidedHours,
      programmeLength: demo.programmeLength,
      capacity: i === 0 ? firstCapacity : demo.capacity,
      requiresReview: demo.requiresReview,
      waitlistEnabled: demo.waitlistEnabled,
      bookingUrl: demo.bookingUrl,
      priceMinor: demo.price?.amountMinor ?? null,
      currency: demo.price?.currency ?? null,
      contactName: demo.contact?.name ?? null,
      contactEmail: demo.contact?.email ?? null,
      contactPhone: demo.contact?.phone ?? null,
      // A week apart from a week after the demo run: all upcoming, all open.
      sessions: demo.sessions.map((s: any) => ({ title: s.title, kind: s.kind, localStart: shift(s.localStart, i + 1), localEnd: shift(s.localEnd, i + 1) })),
      learningObjectives: demo.learningObjectives.map((o: any) => o.text),
      eligibilityCriteria: demo.eligibilityCriteria,
      prerequisite: demo.prerequisite,
    };
    const result = await gql(CREATE, { input }, adminKey);
    const event = result.data?.createEvent?.event;
    if (!event) throw new Error(`createEvent failed: ${JSON.stringify(result.errors ?? result.data?.createEvent?.userErrors)}`);
    const published = await gql(PARTNERS_AND_PUBLISH, { id: event.id, partners }, adminKey);
    const problems = [published.errors, published.data?.setEventPartners?.userErrors, published.data?.publishEvent?.userErrors].flat().filter(Boolean);
    if (problems.length) throw new Error(`publishing ${event.slug} failed: ${JSON.stringify(problems)}`);
    created[i] = event;
  };
  // A few at a time: the server takes writes one by one anyway.
  for (let i = 0; i < count; i += 4) await Promise.all([i, i + 1, i + 2, i + 3].filter((n) => n < count).map(createOne));
  return created;
}
