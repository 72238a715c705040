CREATE TABLE `registration_counts` (
	`event_id` text NOT NULL,
	`status` text NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`event_id`, `status`),
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "registration_counts_not_negative" CHECK("registration_counts"."count" >= 0)
);
--> statement-breakpoint
DROP INDEX `registrations_event_status_idx`;--> statement-breakpoint
CREATE INDEX `registrations_created_idx` ON `registrations` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `registrations_status_created_idx` ON `registrations` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `registrations_offer_expiry_idx` ON `registrations` (`offer_expires_at`) WHERE offer_expires_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `registrations_waitlist_idx` ON `registrations` (`event_id`,`waitlisted_at`,`id`) WHERE waitlisted_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `registrations_access_due_idx` ON `registrations` (`access_scheduled_for`) WHERE access_scheduled_for IS NOT NULL AND access_granted_at IS NULL;--> statement-breakpoint
CREATE INDEX `registrations_event_status_idx` ON `registrations` (`event_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `idempotency_keys_expiry_idx` ON `idempotency_keys` (`expires_at`);