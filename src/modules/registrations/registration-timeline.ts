import { registrationChanges } from "../../db/tables.js";
import type { Tx } from "../../db/database.js";

export interface ChangeRecord {
  registrationId: string;
  at: Date;
  actor: string;
  action: string;
  fromStatus?: string | null;
  toStatus?: string | null;
  note?: string | null;
}

/** Appends to a registration's audit timeline, inside the change's own transaction. */
export async function recordChange(tx: Tx, change: ChangeRecord): Promise<void> {
  await tx.insert(registrationChanges).values(changeRow(change)).run();
}

/** The timeline row of a change: what recordChange (and register's prepared insert) writes. */
export function changeRow(change: ChangeRecord) {
  return {
    registrationId: change.registrationId,
    at: change.at,
    actor: change.actor,
    action: change.action,
    fromStatus: change.fromStatus ?? null,
    toStatus: change.toStatus ?? null,
    note: change.note ?? null,
  };
}
