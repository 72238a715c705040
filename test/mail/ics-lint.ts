import ical from "node-ical";

/*
 * A strict reader of the iCalendar files the system sends, line by line against RFC 5545
 * (3.1 content lines and folding, 3.2 parameters, 3.3.11 TEXT, 3.6 components), so a test
 * sees every syntax problem, not only the ones a lenient parser trips over. node-ical then
 * parses the same text, as a calendar client would.
 */

export interface IcsProperty {
  name: string;
  params: Record<string, string>;
  /** The raw value as written (escapes still in). */
  raw: string;
  /** TEXT values unescaped; other values as written. */
  value: string;
}

export interface IcsComponent {
  type: string;
  properties: IcsProperty[];
}

export interface IcsReport {
  problems: string[];
  calendar: IcsComponent | null;
  events: IcsComponent[];
}

const textProperties = new Set(["SUMMARY", "LOCATION", "DESCRIPTION", "NAME", "X-WR-CALNAME", "COMMENT"]);
/** What each component of the system's calendars may hold, each once; anything else was injected or is a bug. */
const allowed: Record<string, { required: string[]; optional: string[] }> = {
  VCALENDAR: { required: ["VERSION", "PRODID"], optional: ["METHOD", "NAME", "X-WR-CALNAME"] },
  VEVENT: { required: ["UID", "DTSTAMP", "DTSTART", "SEQUENCE", "SUMMARY", "STATUS", "ORGANIZER"], optional: ["DTEND", "LOCATION", "DESCRIPTION"] },
};

// CONTROL = %x00-08 / %x0A-1F / %x7F (HTAB is allowed in values).
const control = /[\u0000-\u0008\u000A-\u001F\u007F]/;
const name = /^[A-Za-z0-9-]+$/;
const paramText = /^[^";:,\u0000-\u0008\u000A-\u001F\u007F]*$/;
const quoted = /^"[^"\u0000-\u0008\u000A-\u001F\u007F]*"$/;
// TEXT: TSAFE-CHAR / ":" / DQUOTE / ESCAPED-CHAR, i.e. no bare backslash, semicolon or comma.
const text = /^(?:[^\\;,\u0000-\u0008\u000A-\u001F\u007F]|\\[\\;,nN])*$/;
const dateTimeUtc = /^\d{8}T\d{6}Z$/;
// RFC 3986 URI characters, with valid percent-encoding.
const uri = /^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#[\]]|%[0-9A-Fa-f]{2})*$/;

function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_match, character: string) => (character === "n" || character === "N" ? "\n" : character));
}

/** Splits "NAME;P=v;Q=\"x;y\":value" at the first colon outside quotes. */
function splitContentLine(line: string): { head: string; value: string } | null {
  let inQuotes = false;
  for (let index = 0; index < line.length; index++) {
    const character = line[index];
    if (character === '"') inQuotes = !inQuotes;
    else if (character === ":" && !inQuotes) return { head: line.slice(0, index), value: line.slice(index + 1) };
  }
  return null;
}

function splitParams(head: string): string[] {
  const parts: string[] = [];
  let current = "";
  let inQuotes = false;
  for (const character of head) {
    if (character === '"') inQuotes = !inQuotes;
    if (character === ";" && !inQuotes) {
      parts.push(current);
      current = "";
    } else current += character;
  }
  parts.push(current);
  return parts;
}

export function lintIcs(source: string): IcsReport {
  const problems: string[] = [];
  // Every content line, the last one too, ends with CRLF.
  if (!source.endsWith("END:VCALENDAR\r\n")) problems.push("does not end with END:VCALENDAR and CRLF");
  const body = source.endsWith("\r\n") ? source.slice(0, -2) : source;
  const physical = body.split("\r\n");
  physical.forEach((line, index) => {
    if (/[\r\n]/.test(line)) problems.push(`line ${index + 1}: a bare CR or LF`);
    const octets = Buffer.byteLength(line, "utf8");
    if (octets > 75) problems.push(`line ${index + 1}: ${octets} octets, more than 75: ${JSON.stringify(line)}`);
    if (line.length === 0) problems.push(`line ${index + 1}: empty`);
    if (/[\uD800-\uDBFF]$/.test(line)) problems.push(`line ${index + 1}: folded inside a character`);
  });
  // Unfold: a CRLF followed by one space or tab continues the line.
  const lines: string[] = [];
  for (const line of physical) {
    if ((line.startsWith(" ") || line.startsWith("\t")) && lines.length) lines[lines.length - 1] += line.slice(1);
    else lines.push(line);
  }

  const stack: IcsComponent[] = [];
  const finished: IcsComponent[] = [];
  let calendarCount = 0;
  lines.forEach((line, index) => {
    const where = `content line ${index + 1} ${JSON.stringify(line.slice(0, 60))}`;
    const split = splitContentLine(line);
    if (!split) return problems.push(`${where}: no colon`);
    const [propertyName, ...paramParts] = splitParams(split.head);
    if (!propertyName || !name.test(propertyName)) return problems.push(`${where}: bad property name`);
    const params: Record<string, string> = {};
    for (const part of paramParts) {
      const eq = part.indexOf("=");
      const paramName = eq > 0 ? part.slice(0, eq) : "";
      if (!name.test(paramName)) problems.push(`${where}: bad parameter ${JSON.stringify(part)}`);
      const values = part.slice(eq + 1);
      // One value here (CN, etc.): either paramtext or a quoted-string.
      if (!paramText.test(values) && !quoted.test(values)) problems.push(`${where}: parameter value ${JSON.stringify(values)} is neither paramtext nor a quoted-string without DQUOTE`);
      params[paramName.toUpperCase()] = quoted.test(values) ? values.slice(1, -1) : values;
    }
    if (control.test(split.value)) problems.push(`${where}: control character in the value`);
    const upper = propertyName.toUpperCase();
    if (upper === "BEGIN") {
      if (split.value === "VCALENDAR") calendarCount++;
      if (split.value === "VCALENDAR" && stack.length) problems.push(`${where}: VCALENDAR nested`);
      if (split.value !== "VCALENDAR" && stack.length !== 1) problems.push(`${where}: ${split.value} outside the VCALENDAR or nested`);
      stack.push({ type: split.value, properties: [] });
      return;
    }
    if (upper === "END") {
      const open = stack.pop();
      if (!open || open.type !== split.value) problems.push(`${where}: END:${split.value} does not close ${open?.type ?? "anything"}`);
      if (open) finished.push(open);
      return;
    }
    const current = stack[stack.length - 1];
    if (!current) return problems.push(`${where}: property outside any component`);
    const isText = textProperties.has(upper);
    if (isText && !text.test(split.value)) problems.push(`${where}: TEXT value with an unescaped backslash, semicolon or comma`);
    if ((upper === "DTSTART" || upper === "DTEND" || upper === "DTSTAMP") && !dateTimeUtc.test(split.value)) problems.push(`${where}: not a UTC DATE-TIME`);
    if (upper === "ORGANIZER" && !uri.test(split.value)) problems.push(`${where}: the CAL-ADDRESS is not a URI`);
    current.properties.push({ name: upper, params, raw: split.value, value: isText ? unescapeText(split.value) : split.value });
  });
  if (stack.length) problems.push(`unclosed ${stack.map((component) => component.type).join(", ")}`);
  if (calendarCount !== 1) problems.push(`${calendarCount} VCALENDARs, not exactly one`);
  for (const component of finished) {
    const rules = allowed[component.type];
    if (!rules) {
      problems.push(`unexpected component ${component.type}`);
      continue;
    }
    const names = component.properties.map((property) => property.name);
    for (const required of rules.required) if (!names.includes(required)) problems.push(`${component.type} without ${required}`);
    for (const present of new Set(names)) {
      if (![...rules.required, ...rules.optional].includes(present)) problems.push(`${component.type} has an unexpected ${present}`);
      if (names.filter((n) => n === present).length > 1) problems.push(`${component.type} has ${present} more than once`);
    }
  }
  return { problems, calendar: finished.find((component) => component.type === "VCALENDAR") ?? null, events: finished.filter((component) => component.type === "VEVENT") };
}

export function property(component: IcsComponent, propertyName: string): IcsProperty | undefined {
  return component.properties.find((entry) => entry.name === propertyName);
}

export interface NodeIcalEvent {
  uid: string;
  summary: string;
  location: string | undefined;
  description: string | undefined;
  status: string | undefined;
  sequence: number;
  organizerName: string | undefined;
  organizerAddress: string;
}

/** The VEVENTs as node-ical (a lenient, widely used parser) reads them. */
export function parseWithNodeIcal(source: string): NodeIcalEvent[] {
  const parsed = ical.sync.parseICS(source);
  const textOf = (value: unknown): string | undefined => (value === undefined ? undefined : typeof value === "string" ? value : String((value as { val?: unknown }).val ?? value));
  return Object.values(parsed)
    .filter((component): component is ical.VEvent => component?.type === "VEVENT")
    .map((event) => {
      const organizer = event.organizer as unknown as { params?: { CN?: string }; val?: string } | string | undefined;
      return {
        uid: event.uid,
        summary: textOf(event.summary)!,
        location: textOf(event.location),
        description: textOf(event.description),
        status: event.status,
        sequence: Number(event.sequence),
        organizerName: typeof organizer === "object" ? organizer.params?.CN : undefined,
        organizerAddress: typeof organizer === "object" ? String(organizer.val) : String(organizer),
      };
    });
}
