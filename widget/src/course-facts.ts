/* The course as a partner's visitor needs it before applying: when, where, access, price, seats. */
import { externalLink, h, safeHref } from "./dom.js";
import { dateRange, hours, sessionDay, sessionTimes } from "./format.js";
import type { WidgetEvent } from "./operations.js";

export function renderCourseFacts(event: WidgetEvent, locale: string, headingLevel: number): HTMLElement {
  const heading = `h${headingLevel}` as "h2";
  const subheading = `h${Math.min(headingLevel + 1, 6)}` as "h3";
  return h(
    "section",
    { part: "course", class: "course", "aria-labelledby": "course-title" },
    h(heading, { id: "course-title", part: "title", class: "title" }, event.title),
    event.summary ? h("p", { part: "summary" }, event.summary) : null,
    h(
      "dl",
      { part: "facts", class: "facts" },
      fact("Dates", dateRange(event, locale)),
      programme(event) ? fact("Programme", programme(event)!) : null,
      fact("Price", event.price?.formatted ?? "Free", "price"),
      fact("Places", seats(event), "seats"),
      contact(event) ? fact("Questions", contact(event)!) : null,
    ),
    sessions(event, locale, subheading),
    event.venue ? venue(event.venue, subheading) : null,
  );
}

function fact(term: string, detail: string, part?: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  fragment.append(h("dt", {}, term), h("dd", { part }, detail));
  return fragment;
}

function programme(event: WidgetEvent): string | null {
  const parts = [event.liveHours ? `${hours(event.liveHours)} live` : null, event.selfGuidedHours ? `${hours(event.selfGuidedHours)} self-guided` : null, event.programmeLength];
  const text = parts.filter(Boolean).join(", ");
  return text || null;
}

function contact(event: WidgetEvent): string | null {
  const person = event.contact;
  const text = [person?.name, person?.email, person?.phone].filter(Boolean).join(", ");
  return text || null;
}

export function seats(event: WidgetEvent): string {
  if (!event.registrationOpen) return "Registration is closed.";
  if (event.seatsRemaining === null) return "Places available.";
  if (event.seatsRemaining > 0) return `${event.seatsRemaining} ${event.seatsRemaining === 1 ? "place" : "places"} remaining.`;
  return event.waitlistEnabled ? "The course is full: you can join the waitlist." : "The course is full.";
}

function sessions(event: WidgetEvent, locale: string, heading: "h3"): HTMLElement | null {
  if (event.sessions.length === 0) return null;
  return h(
    "section",
    { part: "sessions", "aria-labelledby": "sessions-title" },
    h(heading, { id: "sessions-title" }, "Schedule"),
    h(
      "ul",
      { class: "sessions" },
      ...event.sessions.map((session) =>
        h(
          "li",
          { part: "session" },
          h("span", { class: "session-title" }, `${session.title}: `),
          session.kind === "LIVE"
            ? `${sessionDay(session, event.timeZone, locale)}, ${sessionTimes(session, event.timeZone, locale)}`
            : `self-guided, from ${sessionDay(session, event.timeZone, locale)}`,
        ),
      ),
    ),
    h("p", { class: "hint", part: "hint" }, `Times are in the course's time zone (${event.timeZone.replace(/_/g, " ")}).`),
  );
}

function venue(place: NonNullable<WidgetEvent["venue"]>, heading: "h3"): HTMLElement {
  const address = place.address;
  const lines = [address.line1, address.line2, [address.city, address.region, address.postalCode].filter(Boolean).join(", "), address.country].filter(Boolean) as string[];
  const access = place.accessibility;
  const facts: string[] = [];
  if (access.adaCompliant) facts.push("The venue states it complies with the Americans with Disabilities Act (ADA).");
  const known = (value: boolean | null, yes: string, no: string) => {
    if (value !== null) facts.push(value ? yes : no);
  };
  known(access.wheelchairAccessible, "Wheelchair accessible.", "Not wheelchair accessible.");
  known(access.stepFreeEntrance, "Step-free entrance.", "No step-free entrance.");
  known(access.accessibleRestrooms, "Accessible restrooms.", "No accessible restrooms.");
  known(access.accessibleParking, "Accessible parking.", "No accessible parking.");
  known(access.hearingLoop, "Hearing loop.", "No hearing loop.");
  if (access.notes) facts.push(access.notes);
  const mapHref = safeHref(place.mapUrl);
  const infoHref = safeHref(access.infoUrl);
  return h(
    "section",
    { part: "venue", "aria-labelledby": "venue-title" },
    h(heading, { id: "venue-title" }, "Venue"),
    h("p", { class: "venue-name" }, place.name),
    h("address", {}, ...lines.flatMap((line, index) => (index === 0 ? [line] : [h("br"), line]))),
    mapHref ? h("p", {}, externalLink(mapHref, "Map")) : null,
    h(
      "section",
      { part: "accessibility", "aria-labelledby": "access-title" },
      h(`h${Math.min(Number(heading.slice(1)) + 1, 6)}` as "h4", { id: "access-title" }, "Accessibility"),
      facts.length ? h("ul", {}, ...facts.map((text) => h("li", {}, text))) : h("p", {}, "No accessibility facts are recorded for this venue yet."),
      infoHref ? h("p", {}, externalLink(infoHref, "Accessibility information from the venue")) : null,
    ),
  );
}
