CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`prefix` text NOT NULL,
	`hash` text NOT NULL,
	`organisation_id` text,
	`allowed_origins` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_hash_unique` ON `api_keys` (`hash`);--> statement-breakpoint
CREATE INDEX `api_keys_org_idx` ON `api_keys` (`organisation_id`);--> statement-breakpoint
CREATE TABLE `eligibility_answers` (
	`registration_id` text NOT NULL,
	`criterion_id` text NOT NULL,
	`met` integer NOT NULL,
	`details` text,
	PRIMARY KEY(`registration_id`, `criterion_id`),
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`criterion_id`) REFERENCES `eligibility_criteria`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `eligibility_criteria` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`position` integer NOT NULL,
	`text` text NOT NULL,
	`required` integer NOT NULL,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `eligibility_criteria_event_idx` ON `eligibility_criteria` (`event_id`,`position`);--> statement-breakpoint
CREATE TABLE `email_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`dedupe_key` text NOT NULL,
	`registration_id` text,
	`kind` text NOT NULL,
	`to_address` text NOT NULL,
	`subject` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`claimed_until` integer,
	`last_error` text,
	`message_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_deliveries_dedupe_key_unique` ON `email_deliveries` (`dedupe_key`);--> statement-breakpoint
CREATE INDEX `email_deliveries_due_idx` ON `email_deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `email_deliveries_registration_idx` ON `email_deliveries` (`registration_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `email_deliveries_created_idx` ON `email_deliveries` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `event_partners` (
	`event_id` text NOT NULL,
	`organisation_id` text NOT NULL,
	`position` integer NOT NULL,
	`roles` text NOT NULL,
	`booking_url` text,
	PRIMARY KEY(`event_id`, `organisation_id`),
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `event_partners_org_idx` ON `event_partners` (`organisation_id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`title` text NOT NULL,
	`summary` text,
	`description` text,
	`audience` text,
	`format` text NOT NULL,
	`status` text NOT NULL,
	`time_zone` text NOT NULL,
	`venue_id` text,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`live_hours` real,
	`self_guided_hours` real,
	`programme_length` text,
	`capacity` integer,
	`waitlist_enabled` integer NOT NULL,
	`requires_review` integer NOT NULL,
	`price_minor` integer,
	`currency` text,
	`registration_opens_at` integer,
	`registration_closes_at` integer,
	`booking_url` text,
	`contact_name` text,
	`contact_email` text,
	`contact_phone` text,
	`offer_window_hours` integer DEFAULT 72 NOT NULL,
	`schedule_version` integer DEFAULT 0 NOT NULL,
	`cancel_reason` text,
	`published_at` integer,
	`cancelled_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`venue_id`) REFERENCES `venues`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_slug_unique` ON `events` (`slug`);--> statement-breakpoint
CREATE INDEX `events_status_starts_idx` ON `events` (`status`,`starts_at`,`id`);--> statement-breakpoint
CREATE INDEX `events_starts_idx` ON `events` (`starts_at`,`id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`registration_id` text,
	`response` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `learning_objectives` (
	`event_id` text NOT NULL,
	`position` integer NOT NULL,
	`text` text NOT NULL,
	PRIMARY KEY(`event_id`, `position`),
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `newsletter_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`email_normalized` text NOT NULL,
	`email` text NOT NULL,
	`first_name` text,
	`status` text NOT NULL,
	`consent_at` integer NOT NULL,
	`consent_method` text NOT NULL,
	`consent_source` text,
	`confirm_token_hash` text,
	`unsubscribe_token_hash` text NOT NULL,
	`confirmed_at` integer,
	`unsubscribed_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `newsletter_subscriptions_email_normalized_unique` ON `newsletter_subscriptions` (`email_normalized`);--> statement-breakpoint
CREATE UNIQUE INDEX `newsletter_subscriptions_confirm_token_hash_unique` ON `newsletter_subscriptions` (`confirm_token_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `newsletter_subscriptions_unsubscribe_token_hash_unique` ON `newsletter_subscriptions` (`unsubscribe_token_hash`);--> statement-breakpoint
CREATE TABLE `organisations` (
	`id` text PRIMARY KEY NOT NULL,
	`slug` text NOT NULL,
	`name` text NOT NULL,
	`website` text,
	`email` text,
	`phone` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organisations_slug_unique` ON `organisations` (`slug`);--> statement-breakpoint
CREATE TABLE `payments` (
	`id` text PRIMARY KEY NOT NULL,
	`registration_id` text NOT NULL,
	`amount_minor` integer NOT NULL,
	`currency` text NOT NULL,
	`method` text NOT NULL,
	`reference` text,
	`received_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `payments_registration_idx` ON `payments` (`registration_id`,`received_at`);--> statement-breakpoint
CREATE TABLE `prerequisite_courses` (
	`event_id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`duration_hours` real,
	`url` text,
	`access_lead_days` integer,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `registrant_tokens` (
	`hash` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`email_normalized` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE INDEX `registrant_tokens_expiry_idx` ON `registrant_tokens` (`expires_at`);--> statement-breakpoint
CREATE TABLE `registration_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`registration_id` text NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`from_status` text,
	`to_status` text,
	`note` text,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `registration_changes_registration_idx` ON `registration_changes` (`registration_id`,`id`);--> statement-breakpoint
CREATE TABLE `registrations` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`reference` text NOT NULL,
	`status` text NOT NULL,
	`first_name` text NOT NULL,
	`last_name` text NOT NULL,
	`email` text NOT NULL,
	`email_normalized` text NOT NULL,
	`phone` text,
	`profession` text NOT NULL,
	`profession_other` text,
	`employer` text,
	`job_title` text,
	`accessibility_needs` text,
	`source_organisation_id` text,
	`source_api_key_id` text,
	`manage_token_hash` text NOT NULL,
	`amount_due_minor` integer NOT NULL,
	`currency` text,
	`waitlisted_at` integer,
	`offer_expires_at` integer,
	`review_note` text,
	`prerequisite_completed_at` integer,
	`access_scheduled_for` integer,
	`access_granted_at` integer,
	`access_revoked_at` integer,
	`early_access_requested_at` integer,
	`early_access_reason` text,
	`cancel_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`cancelled_at` integer,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`source_organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`source_api_key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_reference_unique` ON `registrations` (`reference`);--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_manage_token_hash_unique` ON `registrations` (`manage_token_hash`);--> statement-breakpoint
CREATE INDEX `registrations_event_status_idx` ON `registrations` (`event_id`,`status`);--> statement-breakpoint
CREATE INDEX `registrations_event_created_idx` ON `registrations` (`event_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `registrations_email_idx` ON `registrations` (`email_normalized`);--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_active_email_uq` ON `registrations` (`event_id`,`email_normalized`) WHERE status NOT IN ('CANCELLED', 'REJECTED');--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`position` integer NOT NULL,
	`title` text NOT NULL,
	`kind` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`venue_id` text,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`venue_id`) REFERENCES `venues`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sessions_event_idx` ON `sessions` (`event_id`,`starts_at`);--> statement-breakpoint
CREATE TABLE `venues` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`line1` text NOT NULL,
	`line2` text,
	`city` text NOT NULL,
	`region` text,
	`postal_code` text,
	`country` text NOT NULL,
	`time_zone` text NOT NULL,
	`latitude` real,
	`longitude` real,
	`map_url` text,
	`ada_compliant` integer NOT NULL,
	`wheelchair_accessible` integer,
	`step_free_entrance` integer,
	`accessible_restrooms` integer,
	`accessible_parking` integer,
	`hearing_loop` integer,
	`accessibility_notes` text,
	`accessibility_info_url` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
