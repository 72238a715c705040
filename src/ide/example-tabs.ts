import type { RenderPageOptions } from "@apollographql/graphql-playground-html";
import { asc, eq } from "drizzle-orm";
import { EventStatus } from "../common/enums.js";
import { eligibilityCriteria } from "../db/tables.js";
import type { Deps } from "../deps.js";
import { isRegistrationOpen } from "../modules/events/event-rules.js";
import { listEvents } from "../modules/events/events.service.js";

/*
 * The tabs the IDE opens with: the README's partner, mobile and admin operations, in the
 * order a first session runs them, with variables filled from the course open for
 * registration (the demo's upcoming run on a fresh database).
 */

/** The course the examples register for, as the IDE page is rendered. */
export interface ExampleCourse {
  id: string;
  slug: string;
  priceMinor: number | null;
  currency: string | null;
  criteria: { id: string; required: boolean }[];
}

export async function findExampleCourse({ db, clock }: Deps): Promise<ExampleCourse | null> {
  const now = clock.now();
  const upcoming = await listEvents(db, { filter: { status: [EventStatus.PUBLISHED], startsAfter: now }, first: 20, includeDrafts: false });
  const event = upcoming.edges.map((edge) => edge.node).find((row) => isRegistrationOpen(row, now));
  if (!event) return null;
  const criteria = await db.select({ id: eligibilityCriteria.id, required: eligibilityCriteria.required }).from(eligibilityCriteria).where(eq(eligibilityCriteria.eventId, event.id)).orderBy(asc(eligibilityCriteria.position)).all();
  return { id: event.id, slug: event.slug, priceMinor: event.priceMinor, currency: event.currency, criteria };
}

export type Tab = NonNullable<RenderPageOptions["tabs"]>[number];

const EXAMPLE_EMAIL = "ada@clinic.example";

const OPEN_COURSES = `# Partner site: the courses open for registration. Anonymous, or a publishable key from its origin.
query OpenCourses {
  events(filter: { status: [PUBLISHED] }, first: 10) {
    edges {
      node {
        id slug title startDate endDate registrationOpen seatsRemaining
        price { formatted }
        venue { name address { line1 city region } accessibility { adaCompliant notes } }
        sessions { localStart localEnd timeZoneAbbreviation }
        eligibilityCriteria { id position text required }
        prerequisite { title durationHours accessOpensAt }
      }
    }
  }
}
`;

const APPLY = `# Partner site: take a registration. Retrying with the same idempotencyKey returns the first answer.
# The manageToken (mt_…) opens /manage for this one registration.
mutation Apply($input: RegisterInput!) {
  register(input: $input) {
    registration { id reference status waitlistPosition }
    manageToken
    userErrors { field message code }
  }
}
`;

const REQUEST_SIGN_IN_LINK = `# Mobile app: the registrant asks for a sign-in link; it arrives by email
# (with no SMTP_URL, as an .eml file under MAIL_DIR, ./data/mail by default).
mutation RequestSignInLink($email: EmailAddress!) {
  requestSignInLink(email: $email) { ok userErrors { code message } }
}
`;

const SIGN_IN = `# Mobile app: exchange the emailed link's token for a session token (st_…, 30 days).
mutation SignIn($token: String!) {
  signInWithLink(token: $token) { sessionToken expiresAt userErrors { code message } }
}
`;

const MY_BOOKINGS = `# Mobile app: the signed-in registrant's bookings. HTTP HEADERS: the sessionToken from SignIn
# (a manageToken from Apply works too, for its one registration).
query MyBookings {
  myRegistrations {
    id reference status
    event { title startDate sessions { localStart localEnd timeZoneAbbreviation } venue { name mapUrl } }
    payment { amountDue { formatted } amountPaid { formatted } paidInFull }
    accessGrant { status scheduledFor grantedAt }
  }
}
`;

const adminNote = (adminKey: string | null) =>
  adminKey
    ? "# Admin: HTTP HEADERS below carry the local admin key that npm start printed."
    : '# Admin: put your key in HTTP HEADERS: { "Authorization": "Bearer ak_…" }\n# (an operator makes one with `npm run keys -- create --admin`).';

const APPLICATIONS = `query Applications {
  registrations(status: [PENDING_REVIEW], first: 20) {
    totalCount
    edges { node { id reference status attendee { firstName lastName email profession } eligibilityAnswers { criterion { position required } met details } event { title } } }
  }
}
`;

const APPROVE = `# Variables: the id of an application listed by Applications.
mutation Approve($id: ID!) {
  reviewRegistration(input: { registrationId: $id, decision: APPROVE, note: "Meets all criteria" }) {
    registration { status } userErrors { code message }
  }
}
`;

const PAY = `# Variables: the id of an approved registration; the amount is in minor units (cents).
mutation Pay($id: ID!, $amountMinor: Int!, $currency: String!) {
  recordPayment(input: { registrationId: $id, amountMinor: $amountMinor, currency: $currency, method: "card", reference: "ch_123" }) {
    registration { status payment { amountPaid { formatted } paidInFull } accessGrant { status scheduledFor } timeline { at actor action fromStatus toStatus note } }
    userErrors { code message }
  }
}
`;

const json = (value: unknown) => JSON.stringify(value, null, 2);

export interface ExampleTabsOptions {
  /** Where the tabs send their requests; relative, so it works under whatever host the browser used. */
  endpoint: string;
  course: ExampleCourse | null;
  /** Put in the admin tabs' headers; null in production. */
  adminKey: string | null;
}

export function exampleTabs({ endpoint, course, adminKey }: ExampleTabsOptions): Tab[] {
  const adminHeaders = adminKey ? { Authorization: `Bearer ${adminKey}` } : undefined;
  const registrationId = "paste a registration id from Admin: applications";
  const apply = {
    input: {
      eventId: course?.id ?? "evt_… (an id from OpenCourses)",
      idempotencyKey: "ide-example-1",
      attendee: { firstName: "Ada", lastName: "Clinician", email: EXAMPLE_EMAIL, profession: "CLINICAL_PSYCHOLOGIST", employer: "Westside Clinic" },
      eligibilityAnswers: (course?.criteria ?? []).map((criterion, index) =>
        index === 0 ? { criterionId: criterion.id, met: true, details: "Clinical psychologist, HCPC registered" } : { criterionId: criterion.id, met: criterion.required },
      ),
      accessibilityNeeds: "Step-free seating near the front",
    },
  };
  const tab = (name: string, query: string, variables?: unknown, headers?: Record<string, string>): Tab => ({
    endpoint,
    name,
    query,
    variables: variables === undefined ? "" : json(variables),
    ...(headers ? { headers } : {}),
    // Playground copies a tab's fields into its session: show the variables, where there are some, rather than the headers.
    ...(variables === undefined ? {} : { queryVariablesActive: true }),
  });
  return [
    tab("Partner: open courses", OPEN_COURSES),
    tab("Partner: apply", APPLY, apply),
    tab("Mobile: sign-in link", REQUEST_SIGN_IN_LINK, { email: EXAMPLE_EMAIL }),
    tab("Mobile: sign in", SIGN_IN, { token: "paste the token after # in the emailed link" }),
    tab("Mobile: my bookings", MY_BOOKINGS, undefined, { Authorization: "Bearer st_… (sessionToken from Mobile: sign in)" }),
    tab("Admin: applications", `${adminNote(adminKey)}\n${APPLICATIONS}`, undefined, adminHeaders),
    tab("Admin: approve", `${adminNote(adminKey)}\n${APPROVE}`, { id: registrationId }, adminHeaders),
    tab("Admin: record payment", `${adminNote(adminKey)}\n${PAY}`, { id: registrationId, amountMinor: course?.priceMinor ?? 125000, currency: course?.currency ?? "USD" }, adminHeaders),
  ];
}
