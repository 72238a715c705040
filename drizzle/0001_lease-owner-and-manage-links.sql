ALTER TABLE `email_deliveries` ADD `claimed_by` text;--> statement-breakpoint
ALTER TABLE `registrant_tokens` ADD `registration_id` text REFERENCES registrations(id) ON DELETE cascade;