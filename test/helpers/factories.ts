import { mbtEligibilityCriteria, mbtLearningObjectives, mbtPrerequisite, mbtTimeZone, uclaFacultyCenter } from "../../src/demo/mbt-course.js";
import type { TestServer } from "./server.js";

export const CREATE_VENUE = /* GraphQL */ `
  mutation CreateVenue($input: VenueInput!) {
    createVenue(input: $input) { venue { id name timeZone } userErrors { field message code } }
  }
`;

export const CREATE_EVENT = /* GraphQL */ `
  mutation CreateEvent($input: EventInput!) {
    createEvent(input: $input) {
      event { id slug status startsAt endsAt eligibilityCriteria { id position required } }
      userErrors { field message code }
    }
  }
`;

export const PUBLISH_EVENT = /* GraphQL */ `
  mutation Publish($id: ID!) { publishEvent(id: $id) { event { id status } userErrors { field message code } } }
`;

export const REGISTER = /* GraphQL */ `
  mutation Register($input: RegisterInput!) {
    register(input: $input) {
      registration { id reference status waitlistPosition attendee { email } event { id } }
      manageToken
      userErrors { field message code }
    }
  }
`;

let slugCounter = 0;

/** An EventInput for a run of the MBT course; the clock of the test decides whether it is upcoming. */
export function courseInput(overrides: Record<string, unknown> = {}) {
  slugCounter += 1;
  return {
    slug: `mbt-test-${slugCounter}-${Date.now().toString(36)}`,
    title: "MBT Basic Training",
    format: "IN_PERSON",
    timeZone: mbtTimeZone,
    liveHours: 18,
    selfGuidedHours: 21,
    programmeLength: "1 month programme",
    capacity: 30,
    priceMinor: 125000,
    currency: "USD",
    requiresReview: true,
    contactName: "Robin Kissell",
    contactEmail: "robin@mentalizing.example",
    contactPhone: "310-859-7912",
    learningObjectives: mbtLearningObjectives,
    eligibilityCriteria: mbtEligibilityCriteria,
    prerequisite: mbtPrerequisite,
    sessions: ["2023-10-04", "2023-10-05", "2023-10-06"].map((day, index) => ({ title: `Day ${index + 1}`, kind: "LIVE", localStart: `${day}T08:30`, localEnd: `${day}T16:30` })),
    ...overrides,
  };
}

export interface TestCourse {
  id: string;
  slug: string;
  criteria: { id: string; position: number; required: boolean }[];
  venueId: string;
}

/** Creates a venue and a published course through the admin API. */
export async function createCourse(server: TestServer, overrides: Record<string, unknown> = {}, options: { publish?: boolean } = {}): Promise<TestCourse> {
  const venue = await server.admin(CREATE_VENUE, { input: uclaFacultyCenter });
  const venueId = venue.data.createVenue.venue.id;
  const created = await server.admin(CREATE_EVENT, { input: courseInput({ venueId, ...overrides }) });
  const payload = created.data?.createEvent;
  if (!payload?.event) throw new Error(`createEvent failed: ${JSON.stringify(created.errors ?? payload?.userErrors)}`);
  if (options.publish !== false) {
    const published = await server.admin(PUBLISH_EVENT, { id: payload.event.id });
    if (published.data.publishEvent.userErrors.length) throw new Error(JSON.stringify(published.data.publishEvent.userErrors));
  }
  return { id: payload.event.id, slug: payload.event.slug, criteria: payload.event.eligibilityCriteria, venueId };
}

let emailCounter = 0;

/** A valid RegisterInput for the course: every criterion met. */
export function registrationInput(course: TestCourse, overrides: Record<string, unknown> = {}, attendee: Record<string, unknown> = {}) {
  emailCounter += 1;
  return {
    eventId: course.id,
    attendee: {
      firstName: "Ada",
      lastName: `Clinician${emailCounter}`,
      email: `ada.${emailCounter}.${Date.now().toString(36)}@clinic.example`,
      profession: "CLINICAL_PSYCHOLOGIST",
      employer: "Westside Clinic",
      ...attendee,
    },
    eligibilityAnswers: course.criteria.map((criterion) => ({ criterionId: criterion.id, met: true, details: criterion.position === 2 ? "KUF for personality disorder, 2019" : null })),
    ...overrides,
  };
}
