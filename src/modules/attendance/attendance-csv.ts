import { eq } from "drizzle-orm";
import type { Reads } from "../../db/database.js";
import { certificates, evaluations, registrations } from "../../db/tables.js";
import type { EventRow } from "../events/event-rules.js";
import { attendanceFactsOfEvent } from "./attendance.service.js";

/*
 * The attendance and credits of an event as CSV (RFC 4180), one row per registration that
 * is CONFIRMED or has attendance on record. Spreadsheets run a cell that starts with
 * = + - @ (or a tab or carriage return) as a formula: such cells are prefixed with a quote.
 */

export function csvCell(value: string | number | boolean | null): string {
  let text = value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export async function attendanceCsv(db: Reads, event: EventRow): Promise<string> {
  const rows = await db.select().from(registrations).where(eq(registrations.eventId, event.id)).orderBy(registrations.createdAt, registrations.id).all();
  const facts = await attendanceFactsOfEvent(db, event, rows.map((row) => row.id));
  const evaluatedRows = await db.select({ id: evaluations.registrationId }).from(evaluations).innerJoin(registrations, eq(registrations.id, evaluations.registrationId)).where(eq(registrations.eventId, event.id)).all();
  const evaluated = new Set(evaluatedRows.map((row) => row.id));
  const issued = await db
    .select({ registrationId: certificates.registrationId, number: certificates.number, status: certificates.status })
    .from(certificates)
    .innerJoin(registrations, eq(registrations.id, certificates.registrationId))
    .where(eq(registrations.eventId, event.id))
    .all();
  const certificateOf = new Map(issued.map((row) => [row.registrationId, row]));
  const sessionsOfEvent = facts.values().next().value?.live.map((item) => item.session) ?? [];
  const header = [
    "reference",
    "first_name",
    "last_name",
    "email",
    "status",
    ...sessionsOfEvent.flatMap((session) => [`${session.title}: status`, `${session.title}: minutes`]),
    "minutes_attended",
    "minutes_scheduled",
    event.creditName ? `credits_earned (${event.creditName})` : "credits_earned",
    "evaluation_submitted",
    "certificate_number",
    "certificate_status",
  ];
  const lines = [header.map(csvCell).join(",")];
  for (const row of rows) {
    const { live, credits } = facts.get(row.id)!;
    const attended = live.reduce((total, item) => total + item.minutesPresent, 0);
    if (row.status !== "CONFIRMED" && attended === 0 && !certificateOf.has(row.id)) continue;
    const certificate = certificateOf.get(row.id);
    lines.push(
      [
        row.reference,
        row.firstName,
        row.lastName,
        row.email,
        row.status,
        ...live.flatMap((item) => [item.status, item.minutesPresent]),
        attended,
        live.reduce((total, item) => total + item.scheduledMinutes, 0),
        credits,
        evaluated.has(row.id),
        certificate?.number ?? null,
        certificate?.status ?? null,
      ]
        .map(csvCell)
        .join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}
