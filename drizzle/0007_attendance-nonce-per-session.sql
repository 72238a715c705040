DROP INDEX `attendance_records_nonce_unique`;--> statement-breakpoint
CREATE UNIQUE INDEX `attendance_records_session_nonce_unique` ON `attendance_records` (`session_id`,`nonce`);