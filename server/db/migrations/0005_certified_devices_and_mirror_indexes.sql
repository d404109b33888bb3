CREATE TABLE `certified_devices` (
	`id` integer PRIMARY KEY NOT NULL,
	`device_id` text NOT NULL,
	`digest` text NOT NULL,
	`country_code` text NOT NULL,
	`off_taker` text,
	`sdg_benefits` integer NOT NULL,
	`facts` text NOT NULL,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `certified_devices_digest` ON `certified_devices` (`digest`);--> statement-breakpoint
CREATE TABLE `issuance_job_devices` (
	`job_id` text NOT NULL,
	`device_id` text NOT NULL,
	`certified_device_id` integer NOT NULL,
	PRIMARY KEY(`job_id`, `device_id`),
	FOREIGN KEY (`job_id`) REFERENCES `issuance_jobs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`certified_device_id`) REFERENCES `certified_devices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
DROP INDEX `chain_balances_certificate`;--> statement-breakpoint
CREATE INDEX `chain_balances_certificate` ON `chain_balances` (`certificate_id`,`holder`);--> statement-breakpoint
CREATE INDEX `chain_certificates_period_end` ON `chain_certificates` (`period_end`);--> statement-breakpoint
CREATE INDEX `chain_certificates_origin_serial` ON `chain_certificates` (`origin`,`serial`);