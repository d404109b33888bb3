ALTER TABLE `device_read_state` ADD `certified_through` integer;--> statement-breakpoint
ALTER TABLE `meter_reads` ADD `late` integer DEFAULT false NOT NULL;