/** Who is calling, resolved once per request from the Authorization header. */
export type Viewer =
  | { role: "ANONYMOUS" }
  | { role: "ADMIN"; apiKeyId: string }
  | { role: "PARTNER"; apiKeyId: string; organisationId: string; keyKind: "PUBLISHABLE" | "SECRET" }
  /** A manage token opens one registration; a sign-in session opens all of one address's. */
  | { role: "REGISTRANT"; emailNormalized: string; registrationId: string | null };

export const anonymous: Viewer = { role: "ANONYMOUS" };

/** How the audit timeline names the actor of a change. */
export function actorLabel(viewer: Viewer): string {
  switch (viewer.role) {
    case "ADMIN":
      return `admin:${viewer.apiKeyId}`;
    case "PARTNER":
      return `partner:${viewer.organisationId}`;
    case "REGISTRANT":
      return "registrant";
    case "ANONYMOUS":
      return "public";
  }
}
