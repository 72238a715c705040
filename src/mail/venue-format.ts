import type { VenueRow } from "./email-facts.js";

const regionNames = new Intl.DisplayNames(["en"], { type: "region" });

function countryName(code: string): string {
  try {
    return regionNames.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** ["480 Charles E Young Dr E", "Los Angeles, CA 90095", "United States"]: how an envelope shows it. */
export function addressLines(venue: VenueRow): string[] {
  const locality = [venue.city, [venue.region, venue.postalCode].filter(Boolean).join(" ")].filter(Boolean).join(", ");
  return [venue.line1, venue.line2, locality, countryName(venue.country)].filter((line): line is string => !!line);
}

/** One line, for calendar LOCATION and plain text: "UCLA Faculty Center, 480 Charles E Young Dr E, …". */
export function addressOneLine(venue: VenueRow): string {
  return [venue.name, ...addressLines(venue)].join(", ");
}

/** The venue's own map link, else one built from its coordinates, else an address search. */
export function mapLink(venue: VenueRow): string {
  if (venue.mapUrl) return venue.mapUrl;
  if (venue.latitude !== null && venue.longitude !== null) {
    return `https://www.openstreetmap.org/?mlat=${venue.latitude}&mlon=${venue.longitude}#map=17/${venue.latitude}/${venue.longitude}`;
  }
  return `https://www.openstreetmap.org/search?query=${encodeURIComponent(addressLines(venue).join(", "))}`;
}

/**
 * The accessibility facts that are known, in words. An unknown fact (null) is left out
 * rather than guessed; a known "no" is said plainly, because someone planning a visit
 * needs it as much as a "yes".
 */
export function accessibilityFacts(venue: VenueRow): string[] {
  const facts: string[] = [];
  const notes = venue.accessibilityNotes;
  // A fact the venue's own notes already state ("The Center is ADA compliant.") is said once, in the notes' words.
  const add = (fact: string) => {
    if (!notes || !notesState(notes, fact)) facts.push(fact);
  };
  if (venue.adaCompliant) add("ADA compliant");
  const known = (value: boolean | null, yes: string, no: string) => {
    if (value === true) add(yes);
    if (value === false) add(no);
  };
  known(venue.wheelchairAccessible, "Wheelchair accessible", "Not wheelchair accessible");
  known(venue.stepFreeEntrance, "Step-free entrance", "No step-free entrance");
  known(venue.accessibleRestrooms, "Accessible restrooms", "No accessible restrooms");
  known(venue.accessibleParking, "Accessible parking", "No accessible parking");
  known(venue.hearingLoop, "Hearing loop available", "No hearing loop");
  if (notes) facts.push(notes);
  return facts;
}

/** Whether the notes say the fact itself, as a phrase of its own and not negated ("not ADA compliant" does not state "ADA compliant"). */
function notesState(notes: string, fact: string): boolean {
  const phrase = fact.toLowerCase().replace(/[-\s]+/g, " ");
  const text = notes.toLowerCase().replace(/[-\s]+/g, " ");
  for (let at = text.indexOf(phrase); at !== -1; at = text.indexOf(phrase, at + 1)) {
    const before = text.slice(0, at);
    const after = text.charAt(at + phrase.length);
    const wordStart = at === 0 || !/[\p{L}\p{N}]/u.test(text.charAt(at - 1));
    const wordEnd = !/[\p{L}\p{N}]/u.test(after);
    if (wordStart && wordEnd && !/\b(not|non|no|never|isn't|is not)\s*$/.test(before)) return true;
  }
  return false;
}
