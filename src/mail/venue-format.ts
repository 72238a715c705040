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
  if (venue.adaCompliant) facts.push("ADA compliant");
  const known = (value: boolean | null, yes: string, no: string) => {
    if (value === true) facts.push(yes);
    if (value === false) facts.push(no);
  };
  known(venue.wheelchairAccessible, "Wheelchair accessible", "Not wheelchair accessible");
  known(venue.stepFreeEntrance, "Step-free entrance", "No step-free entrance");
  known(venue.accessibleRestrooms, "Accessible restrooms", "No accessible restrooms");
  known(venue.accessibleParking, "Accessible parking", "No accessible parking");
  known(venue.hearingLoop, "Hearing loop available", "No hearing loop");
  if (venue.accessibilityNotes) facts.push(venue.accessibilityNotes);
  return facts;
}
