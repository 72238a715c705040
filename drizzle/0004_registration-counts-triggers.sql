-- registration_counts is kept by the database itself: every statement that inserts a
-- registration, changes its status (or event) or deletes one moves the counts in the same
-- transaction, whichever code path (or tool) wrote it. drizzle-kit does not manage triggers,
-- hence this custom migration. A later dialect gets its own triggers; the table stays plain.
CREATE TRIGGER `registrations_count_insert` AFTER INSERT ON `registrations`
BEGIN
  INSERT INTO `registration_counts` (`event_id`, `status`, `count`) VALUES (NEW.`event_id`, NEW.`status`, 1)
    ON CONFLICT (`event_id`, `status`) DO UPDATE SET `count` = `count` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `registrations_count_update` AFTER UPDATE OF `status`, `event_id` ON `registrations`
WHEN OLD.`status` IS NOT NEW.`status` OR OLD.`event_id` IS NOT NEW.`event_id`
BEGIN
  UPDATE `registration_counts` SET `count` = `count` - 1 WHERE `event_id` = OLD.`event_id` AND `status` = OLD.`status`;
  INSERT INTO `registration_counts` (`event_id`, `status`, `count`) VALUES (NEW.`event_id`, NEW.`status`, 1)
    ON CONFLICT (`event_id`, `status`) DO UPDATE SET `count` = `count` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `registrations_count_delete` AFTER DELETE ON `registrations`
BEGIN
  UPDATE `registration_counts` SET `count` = `count` - 1 WHERE `event_id` = OLD.`event_id` AND `status` = OLD.`status`;
END;
--> statement-breakpoint
-- The registrations written before this migration, counted once. Migrations run in one
-- transaction, so no registration can be written between the triggers and this count.
DELETE FROM `registration_counts`;
--> statement-breakpoint
INSERT INTO `registration_counts` (`event_id`, `status`, `count`)
  SELECT `event_id`, `status`, COUNT(*) FROM `registrations` GROUP BY `event_id`, `status`;
