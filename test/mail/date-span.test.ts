import { describe, expect, it } from "vitest";
import { formatDateSpan } from "../../src/common/time.js";

/* The course dates at the head of every email's details, in the event's zone. */

const la = "America/Los_Angeles";

describe("formatDateSpan: a course's days as emails show them", () => {
  it.each([
    ["one day", "2023-10-01T16:00:00Z", "2023-10-02T00:00:00Z", la, "1 Oct 2023"],
    ["one day ending at midnight in the zone", "2023-10-01T16:00:00Z", "2023-10-02T07:00:00Z", la, "1 Oct 2023"],
    ["three days in one month", "2023-10-04T15:30:00Z", "2023-10-06T23:30:00Z", la, "4–6 Oct 2023"],
    ["across a month", "2023-09-29T15:30:00Z", "2023-10-02T23:30:00Z", la, "29 Sep – 2 Oct 2023"],
    ["across a year", "2023-12-30T15:30:00Z", "2024-01-02T23:30:00Z", la, "30 Dec 2023 – 2 Jan 2024"],
    // 23:30 UTC on 4 Oct is already 5 Oct in Sydney: the zone decides the day
    ["one UTC day, two days in Sydney", "2023-10-04T10:00:00Z", "2023-10-04T23:30:00Z", "Australia/Sydney", "4–5 Oct 2023"],
  ])("%s", (_name, start, end, zone, expected) => {
    expect(formatDateSpan(new Date(start), new Date(end), zone)).toBe(expected);
  });
});
