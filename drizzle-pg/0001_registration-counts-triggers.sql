-- registration_counts is kept by the database itself, as on SQLite (drizzle/0004): every
-- statement that inserts a registration, changes its status (or event) or deletes one moves
-- the counts in the same transaction, whichever code path (or tool) wrote it. drizzle-kit
-- does not manage triggers or functions, hence this custom migration.
--
-- Row-level triggers, like SQLite's: a bulk UPDATE (an event's cancellation) moves the
-- counts row by row. The upsert is atomic under concurrent registrations (ON CONFLICT
-- takes the row lock), and inserting a count only KEY SHARE-locks its event, which does not
-- conflict with the FOR NO KEY UPDATE lock a seat-changing transaction holds on it.
CREATE FUNCTION "registration_counts_keep"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE "registration_counts" SET "count" = "count" - 1
      WHERE "event_id" = OLD."event_id" AND "status" = OLD."status";
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO "registration_counts" ("event_id", "status", "count") VALUES (NEW."event_id", NEW."status", 1)
      ON CONFLICT ("event_id", "status") DO UPDATE SET "count" = "registration_counts"."count" + 1;
  END IF;
  RETURN NULL; -- AFTER trigger: the return value is ignored
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "registrations_count_insert" AFTER INSERT ON "registrations"
  FOR EACH ROW EXECUTE FUNCTION "registration_counts_keep"();
--> statement-breakpoint
CREATE TRIGGER "registrations_count_update" AFTER UPDATE OF "status", "event_id" ON "registrations"
  FOR EACH ROW WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR OLD."event_id" IS DISTINCT FROM NEW."event_id")
  EXECUTE FUNCTION "registration_counts_keep"();
--> statement-breakpoint
CREATE TRIGGER "registrations_count_delete" AFTER DELETE ON "registrations"
  FOR EACH ROW EXECUTE FUNCTION "registration_counts_keep"();
--> statement-breakpoint
-- Any registrations written before the triggers, counted once. drizzle's migrator runs the
-- pending migrations in one transaction and CREATE TRIGGER locks registrations against
-- writes until it commits, so none can be written between the triggers and this count.
DELETE FROM "registration_counts";
--> statement-breakpoint
INSERT INTO "registration_counts" ("event_id", "status", "count")
  SELECT "event_id", "status", COUNT(*) FROM "registrations" GROUP BY "event_id", "status";
