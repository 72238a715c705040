/*
 * The widget's GraphQL operations, in one place. Field names follow the public contract
 * (contract.graphql); the widget uses nothing else.
 */

/**
 * Whether the server's schema has the partner payment fields (contract/partners.graphql:
 * Event.payment, Registration.paymentUrl). The widget is served by the same server that
 * answers its queries, so this is decided when the widget is built.
 * test/widget/widget-script.test.ts fails when it disagrees with schema/schema.graphql.
 */
export const SCHEMA_HAS_PAYMENT_FIELDS = true;

const paymentOfEvent = SCHEMA_HAS_PAYMENT_FIELDS ? "payment { urlTemplate instructions }" : "";
const paymentOfRegistration = SCHEMA_HAS_PAYMENT_FIELDS ? "paymentUrl" : "";

const EVENT_FIELDS = `
  id slug title summary format status timeZone startDate endDate
  registrationOpen requiresReview waitlistEnabled capacity seatsRemaining
  liveHours selfGuidedHours programmeLength
  price { formatted }
  sessions { id title kind startsAt endsAt timeZoneAbbreviation }
  venue {
    name mapUrl
    address { line1 line2 city region postalCode country }
    accessibility { adaCompliant wheelchairAccessible stepFreeEntrance accessibleRestrooms accessibleParking hearingLoop notes infoUrl }
  }
  eligibilityCriteria { id position text required }
  contact { name email phone }
  ${paymentOfEvent}
`;

export const EVENT_BY_ID = `query WidgetEventById($id: ID!) { event(id: $id) { ${EVENT_FIELDS} } }`;
export const EVENT_BY_SLUG = `query WidgetEventBySlug($slug: String!) { event(slug: $slug) { ${EVENT_FIELDS} } }`;

export const REGISTER = `
  mutation WidgetRegister($input: RegisterInput!) {
    register(input: $input) {
      registration { reference status waitlistPosition ${paymentOfRegistration} }
      userErrors { field message code }
    }
  }
`;

/** Event ids are opaque but typed ("evt_…"); anything else is a slug. */
export function eventLookup(value: string): { query: string; variables: Record<string, string> } {
  return /^evt_[0-9A-Za-z]+$/.test(value) ? { query: EVENT_BY_ID, variables: { id: value } } : { query: EVENT_BY_SLUG, variables: { slug: value } };
}

export interface WidgetSession {
  id: string;
  title: string;
  kind: "LIVE" | "SELF_GUIDED";
  startsAt: string;
  endsAt: string;
  timeZoneAbbreviation: string;
}

export interface WidgetCriterion {
  id: string;
  position: number;
  text: string;
  required: boolean;
}

export interface WidgetEvent {
  id: string;
  slug: string;
  title: string;
  summary: string | null;
  format: "IN_PERSON" | "ONLINE" | "HYBRID";
  status: string;
  timeZone: string;
  startDate: string;
  endDate: string;
  registrationOpen: boolean;
  requiresReview: boolean;
  waitlistEnabled: boolean;
  capacity: number | null;
  seatsRemaining: number | null;
  liveHours: number | null;
  selfGuidedHours: number | null;
  programmeLength: string | null;
  price: { formatted: string } | null;
  sessions: WidgetSession[];
  venue: {
    name: string;
    mapUrl: string | null;
    address: { line1: string; line2: string | null; city: string; region: string | null; postalCode: string | null; country: string };
    accessibility: {
      adaCompliant: boolean;
      wheelchairAccessible: boolean | null;
      stepFreeEntrance: boolean | null;
      accessibleRestrooms: boolean | null;
      accessibleParking: boolean | null;
      hearingLoop: boolean | null;
      notes: string | null;
      infoUrl: string | null;
    };
  } | null;
  eligibilityCriteria: WidgetCriterion[];
  contact: { name: string | null; email: string | null; phone: string | null } | null;
  /** Only when SCHEMA_HAS_PAYMENT_FIELDS. */
  payment?: { urlTemplate: string | null; instructions: string | null } | null;
}

export type RegistrationStatus = "PENDING_REVIEW" | "AWAITING_PAYMENT" | "CONFIRMED" | "WAITLISTED" | "REJECTED" | "CANCELLED";

export interface UserError {
  field: string[] | null;
  message: string;
  code: string;
}

export interface RegisterResult {
  register: {
    registration: { reference: string; status: RegistrationStatus; waitlistPosition: number | null; paymentUrl?: string | null } | null;
    userErrors: UserError[];
  };
}

export const professions: [value: string, label: string][] = [
  ["MENTAL_HEALTH_NURSE", "Mental health nurse"],
  ["OCCUPATIONAL_THERAPIST", "Occupational therapist"],
  ["CLINICAL_PSYCHOLOGIST", "Clinical psychologist"],
  ["COUNSELLING_PSYCHOLOGIST", "Counselling psychologist"],
  ["PSYCHIATRIST", "Psychiatrist"],
  ["SOCIAL_WORKER", "Social worker"],
  ["PSYCHOTHERAPIST", "Psychotherapist"],
  ["OTHER", "Other"],
];
