import { inArray } from "drizzle-orm";
import { loaderById } from "../../common/batch.js";
import type { Db } from "../../db/client.js";
import { organisations } from "../../db/schema.js";

export function createOrganisationLoaders(db: Db) {
  return {
    organisationById: loaderById((ids) => db.select().from(organisations).where(inArray(organisations.id, [...ids])).all(), (row) => row.id),
  };
}
