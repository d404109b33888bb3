ALTER TABLE `reservations` ADD `plan_digest` text;--> statement-breakpoint
ALTER TABLE `reservations` ADD `planned_read_id` integer;