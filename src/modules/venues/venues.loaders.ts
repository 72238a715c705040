import { loaderById } from "../../common/batch.js";
import type { Db } from "../../db/database.js";
import { inList, listParam, preparedPerDatabase } from "../../db/prepared.js";
import { venues } from "../../db/tables.js";

const venueQueries = preparedPerDatabase((db) => ({
  venuesById: db.select().from(venues).where(inList(venues.id)).prepare(),
}));

export function createVenueLoaders(db: Db) {
  const q = venueQueries(db);
  return {
    venueById: loaderById(async (ids) => q.venuesById.all({ ids: listParam(ids) }), (row) => row.id),
  };
}
