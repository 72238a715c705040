import { inArray } from "drizzle-orm";
import { loaderById } from "../../common/batch.js";
import type { Db } from "../../db/client.js";
import { venues } from "../../db/schema.js";

export function createVenueLoaders(db: Db) {
  return {
    venueById: loaderById((ids) => db.select().from(venues).where(inArray(venues.id, [...ids])).all(), (row) => row.id),
  };
}
