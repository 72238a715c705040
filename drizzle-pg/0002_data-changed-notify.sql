-- Every process keeps a cache of anonymous reads (src/cache/). It must learn when another
-- process commits a change a read could show: each statement that writes one of these
-- tables queues NOTIFY data_changed, which PostgreSQL delivers to every LISTENing session
-- when (and only if) the transaction commits, and sends once per transaction however many
-- statements queued it. The outbox, logs, keys, tokens, webhook endpoints and idempotency
-- records are left out: no cached (anonymous) read shows them, and the worker and every
-- authenticated request write some of them all the time.
CREATE FUNCTION "data_changed_notify"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('data_changed', '');
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "organisations_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "organisations"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "venues_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "venues"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "events_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "events"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "event_partners_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "event_partners"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "sessions_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "sessions"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "learning_objectives_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "learning_objectives"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "eligibility_criteria_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "eligibility_criteria"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "prerequisite_courses_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "prerequisite_courses"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "registrations_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "registrations"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "registration_counts_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "registration_counts"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "payments_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "payments"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "newsletter_subscriptions_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "newsletter_subscriptions"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "attendance_records_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "attendance_records"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "attendance_overrides_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "attendance_overrides"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "evaluations_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "evaluations"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
--> statement-breakpoint
CREATE TRIGGER "certificates_data_changed" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "certificates"
  FOR EACH STATEMENT EXECUTE FUNCTION "data_changed_notify"();
