import type { FastifyBaseLogger } from "fastify";
import type { RateLimiter } from "./auth/rate-limit.js";
import type { Viewer } from "./auth/viewer.js";
import type { Db } from "./db/client.js";
import type { Deps } from "./deps.js";
import { createAttendanceLoaders } from "./modules/attendance/attendance.loaders.js";
import { createEventLoaders } from "./modules/events/events.loaders.js";
import { createOrganisationLoaders } from "./modules/organisations/organisations.loaders.js";
import { createRegistrationLoaders } from "./modules/registrations/registrations.loaders.js";
import { createVenueLoaders } from "./modules/venues/venues.loaders.js";

export function createLoaders(db: Db) {
  return {
    ...createEventLoaders(db),
    ...createVenueLoaders(db),
    ...createOrganisationLoaders(db),
    ...createRegistrationLoaders(db),
    ...createAttendanceLoaders(db),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/** Everything a resolver may use; built fresh for every request. */
export interface Context {
  deps: Deps;
  viewer: Viewer;
  loaders: Loaders;
  requestId: string;
  /** The caller's address, for rate limits. */
  ip: string;
  /** Shared by all requests of the server (see auth/rate-limit.ts). */
  rateLimiter: RateLimiter;
  log: FastifyBaseLogger;
}
