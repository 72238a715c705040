import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/database.js";
import type { SqliteDb } from "../../src/db/sqlite.js";
import { isDeadOwnerOnThisHost, workerIdentity } from "../../src/mail/deliver.js";
import { createCourse, REGISTER, registrationInput } from "../helpers/factories.js";
import { deliveries, startMailHarness, type MailHarness } from "../mail/mail-harness.js";

/*
 * A worker may take back another's claims at once only when it knows the owner is dead:
 * same host, same kernel boot and pid namespace, and no process with that pid. Anything
 * it cannot judge (another container with its own pid 1, a system without /proc) is left
 * to the lease, or a live worker's email would be sent twice.
 */

const [host, machine, pid, boot] = workerIdentity.split(":") as [string, string, string, string];
/** A pid nobody has: above Linux's pid_max limit of 2^22. */
const deadPid = String(4_194_304 + 17);

/** A database that refuses to mark one email SENT, as a failing disk would: a trigger on the table. */
async function refuseSent(db: Db, deliveryId: string): Promise<void> {
  if (db.dialect === "sqlite") {
    // On the writer connection, the one the worker's transactions use; TEMP: gone with it.
    (db as SqliteDb).writer.exec(`CREATE TEMP TRIGGER refuse_sent BEFORE UPDATE OF status ON email_deliveries WHEN NEW.id = '${deliveryId}' AND NEW.status = 'SENT' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END`);
    return;
  }
  await db.transaction(async (tx) => {
    await db.rows(sql.raw(`CREATE FUNCTION refuse_sent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id = '${deliveryId}' AND NEW.status = 'SENT' THEN RAISE EXCEPTION 'disk I/O error'; END IF; RETURN NEW; END $$`), tx);
    await db.rows(sql.raw("CREATE TRIGGER refuse_sent BEFORE UPDATE OF status ON email_deliveries FOR EACH ROW EXECUTE FUNCTION refuse_sent()"), tx);
  });
}

/** The database recovers. */
async function allowSent(db: Db): Promise<void> {
  if (db.dialect === "sqlite") {
    (db as SqliteDb).writer.exec("DROP TRIGGER refuse_sent");
    return;
  }
  await db.transaction(async (tx) => {
    await db.rows(sql.raw("DROP TRIGGER refuse_sent ON email_deliveries"), tx);
    await db.rows(sql.raw("DROP FUNCTION refuse_sent()"), tx);
  });
}

describe("who may take back a claim at once", () => {
  it("a process of this machine and pid namespace that is gone", () => {
    expect(isDeadOwnerOnThisHost(`${host}:${machine}:${deadPid}:0123456789ab`)).toBe(true);
    // our own pid with another boot id: the process before us that had it
    expect(isDeadOwnerOnThisHost(`${host}:${machine}:${pid}:0123456789ab`)).toBe(true);
  });

  it("never a process that is alive, or this process itself", () => {
    expect(isDeadOwnerOnThisHost(`${host}:${machine}:${process.ppid}:0123456789ab`)).toBe(false);
    expect(isDeadOwnerOnThisHost(workerIdentity)).toBe(false);
  });

  it("never a process in another pid namespace with the same hostname (a second container on the same volume)", () => {
    expect(machine).not.toBe("-");
    const [kernelBoot] = machine.split(".");
    expect(isDeadOwnerOnThisHost(`${host}:${kernelBoot}.4026531999:${deadPid}:0123456789ab`)).toBe(false);
    expect(isDeadOwnerOnThisHost(`${host}:${kernelBoot}.4026531999:${pid}:0123456789ab`)).toBe(false);
  });

  it("never an owner whose machine could not be told, nor another host, nor a malformed owner", () => {
    expect(isDeadOwnerOnThisHost(`${host}:-:${deadPid}:0123456789ab`, `${host}:-:${pid}:${boot}`)).toBe(false);
    expect(isDeadOwnerOnThisHost(`another-host:${machine}:${deadPid}:0123456789ab`)).toBe(false);
    expect(isDeadOwnerOnThisHost(`${host}:${deadPid}:0123456789ab`)).toBe(false);
  });
});

describe("a database error while recording one email", () => {
  let mail: MailHarness;
  beforeAll(async () => {
    mail = await startMailHarness({ now: "2023-06-01T12:00:00Z" });
  });
  afterAll(() => mail.close());

  it("does not stop the rest of the batch; that email is sent again once its lease has run out, with the same Message-ID", async () => {
    // given three registrants, and a database that refuses to mark the second one's email SENT
    const course = await createCourse(mail.server);
    const emails = ["one@clinic.example", "two@clinic.example", "three@clinic.example"];
    for (const email of emails) await mail.server.gql(REGISTER, { input: registrationInput(course, {}, { email }) });
    const stuck = (await deliveries(mail.server)).find((row) => row.to === "two@clinic.example")!;
    await refuseSent(mail.server.app.deps.db, stuck.id);

    // when the worker sends the batch
    const summary = await mail.server.app.worker.runOnce();

    // then the step completes: the others are SENT, the stuck one is handed to its lease
    expect(summary.delivery).toMatchObject({ claimed: 3, sent: 2, released: 1 });
    expect((await deliveries(mail.server)).filter((row) => row.status === "SENT").map((row) => row.to).sort()).toEqual(["one@clinic.example", "three@clinic.example"]);

    // and when the database recovers and the lease has run out, the stuck one goes out again
    await allowSent(mail.server.app.deps.db);
    mail.server.clock.advance(31_000);
    await mail.server.app.worker.runOnce();
    expect((await deliveries(mail.server)).find((row) => row.id === stuck.id)!.status).toBe("SENT");
    expect(mail.smtp.received.filter((message) => message.messageId === stuck.messageId)).toHaveLength(2);
  });
});
