CREATE TABLE `attendance_overrides` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`registration_id` text NOT NULL,
	`session_id` text NOT NULL,
	`minutes_present` integer NOT NULL,
	`reason` text NOT NULL,
	`actor` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `attendance_overrides_registration_idx` ON `attendance_overrides` (`registration_id`,`session_id`,`id`);--> statement-breakpoint
CREATE TABLE `attendance_records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`nonce` text NOT NULL,
	`registration_id` text NOT NULL,
	`session_id` text NOT NULL,
	`action` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`recorded_at` integer NOT NULL,
	`actor` text NOT NULL,
	`api_key_id` text,
	`method` text NOT NULL,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`session_id`) REFERENCES `sessions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `attendance_records_nonce_unique` ON `attendance_records` (`nonce`);--> statement-breakpoint
CREATE INDEX `attendance_records_registration_idx` ON `attendance_records` (`registration_id`,`session_id`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `certificates` (
	`id` text PRIMARY KEY NOT NULL,
	`number` text NOT NULL,
	`registration_id` text NOT NULL,
	`attendee_name` text NOT NULL,
	`event_title` text NOT NULL,
	`start_date` text NOT NULL,
	`end_date` text NOT NULL,
	`credit_name` text,
	`credits_awarded` real NOT NULL,
	`status` text NOT NULL,
	`issued_at` integer NOT NULL,
	`revoked_at` integer,
	`revoke_reason` text,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `certificates_number_unique` ON `certificates` (`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `certificates_registration_id_unique` ON `certificates` (`registration_id`);--> statement-breakpoint
CREATE TABLE `evaluations` (
	`registration_id` text PRIMARY KEY NOT NULL,
	`ratings` text NOT NULL,
	`comments` text,
	`actor` text NOT NULL,
	`submitted_at` integer NOT NULL,
	FOREIGN KEY (`registration_id`) REFERENCES `registrations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `events` ADD `credit_name` text;--> statement-breakpoint
ALTER TABLE `events` ADD `credit_max` real;--> statement-breakpoint
ALTER TABLE `events` ADD `credit_increment` real;--> statement-breakpoint
ALTER TABLE `events` ADD `credit_statement` text;--> statement-breakpoint
ALTER TABLE `events` ADD `attendance_grace_minutes` integer DEFAULT 10 NOT NULL;--> statement-breakpoint
ALTER TABLE `events` ADD `evaluation_required` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `registrations` ADD `check_in_code` text;--> statement-breakpoint
CREATE UNIQUE INDEX `registrations_check_in_code_unique` ON `registrations` (`check_in_code`);--> statement-breakpoint
UPDATE `registrations` SET `check_in_code` = upper(hex(randomblob(8))) WHERE `status` = 'CONFIRMED' AND `check_in_code` IS NULL;