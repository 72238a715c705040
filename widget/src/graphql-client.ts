/*
 * The widget's only connection: POSTs to /graphql of the origin it was loaded from, with
 * the partner's publishable key (the server accepts it only from the key's allowed
 * origins). No cookies are sent or stored, and nothing is cached.
 */

export interface GraphqlError {
  message: string;
  extensions?: { code?: string; [name: string]: unknown };
}

export type GraphqlOutcome<T> =
  /** The server answered with GraphQL: data, errors, or both. */
  | { kind: "answer"; status: number; data: T | null; errors: GraphqlError[] }
  /** No GraphQL answer (network down, timeout, a proxy's HTML error page): safe to retry. */
  | { kind: "unreachable"; status: number | null };

const TIMEOUT_MS = 20_000;

export class GraphqlClient {
  constructor(
    private readonly endpoint: string,
    private readonly publishableKey: string,
  ) {}

  async request<T>(query: string, variables: Record<string, unknown>): Promise<GraphqlOutcome<T>> {
    let response: Response;
    try {
      response = await fetch(this.endpoint, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        cache: "no-store",
        headers: { "content-type": "application/json", authorization: `Bearer ${this.publishableKey}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      return { kind: "unreachable", status: null };
    }
    let body: { data?: T | null; errors?: GraphqlError[] };
    try {
      body = await response.json();
    } catch {
      return { kind: "unreachable", status: response.status };
    }
    if (response.status >= 500 && !body.data) return { kind: "unreachable", status: response.status };
    return { kind: "answer", status: response.status, data: body.data ?? null, errors: body.errors ?? [] };
  }
}

/** /graphql on the origin that served this script: the widget may be embedded anywhere. */
export function endpointFor(scriptUrl: string): string {
  return new URL("/graphql", scriptUrl).href;
}
