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

const loaderGroups = [createEventLoaders, createVenueLoaders, createOrganisationLoaders, createRegistrationLoaders, createAttendanceLoaders] as const;

type UnionToIntersection<U> = (U extends unknown ? (k: U) => void : never) extends (k: infer I) => void ? I : never;
export type Loaders = UnionToIntersection<ReturnType<(typeof loaderGroups)[number]>>;

/*
 * A request's loaders are made when it first asks for one of their group. Building all
 * thirty DataLoaders (and spreading them into one object) for every request was 3 % of a
 * registration's CPU, and a registration uses none of them. The getters live on one
 * prototype, built the first time from the groups' own keys, so a request's object is
 * just the database and the groups it has used.
 */
interface LoaderHolder {
  readonly db: Db;
  readonly groups: (Record<string, unknown> | undefined)[];
}

let loadersPrototype: object | undefined;

function buildPrototype(db: Db): object {
  const prototype = {};
  loaderGroups.forEach((create, index) => {
    for (const name of Object.keys(create(db))) {
      Object.defineProperty(prototype, name, {
        get(this: LoaderHolder) {
          const group = (this.groups[index] ??= create(this.db) as Record<string, unknown>);
          return group[name];
        },
      });
    }
  });
  return prototype;
}

export function createLoaders(db: Db): Loaders {
  loadersPrototype ??= buildPrototype(db);
  const holder: LoaderHolder = Object.create(loadersPrototype);
  Object.assign(holder, { db, groups: [] });
  return holder as unknown as Loaders;
}

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
