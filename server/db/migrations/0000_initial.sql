CREATE TABLE `chain_checkpoint` (
	`id` integer PRIMARY KEY NOT NULL,
	`block_number` integer NOT NULL,
	`block_hash` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `chain_deployment` (
	`id` integer PRIMARY KEY NOT NULL,
	`chain_id` integer NOT NULL,
	`registry_address` text NOT NULL,
	`deploy_block` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `chain_raw_logs` (
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`block_hash` text NOT NULL,
	`transaction_hash` text NOT NULL,
	`topics` text NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`block_number`, `log_index`)
);
--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`public_id` text NOT NULL,
	`organisation_id` text NOT NULL,
	`created_by` text NOT NULL,
	`name` text NOT NULL,
	`secret_hash` text NOT NULL,
	`permissions` text NOT NULL,
	`created_at` text NOT NULL,
	`last_used_at` text,
	`revoked_at` text,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_public_id_unique` ON `api_keys` (`public_id`);--> statement-breakpoint
CREATE INDEX `api_keys_organisation` ON `api_keys` (`organisation_id`);--> statement-breakpoint
CREATE TABLE `organisations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`type` text NOT NULL,
	`address` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `organisations_name_unique` ON `organisations` (lower(trim("name")));--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`revoked_at` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_token_hash_unique` ON `sessions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `sessions_user` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`organisation_id` text NOT NULL,
	`first_name` text NOT NULL,
	`last_name` text NOT NULL,
	`email` text NOT NULL,
	`password_hash` text NOT NULL,
	`is_organisation_admin` integer NOT NULL,
	`permissions` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);--> statement-breakpoint
CREATE INDEX `users_organisation` ON `users` (`organisation_id`);--> statement-breakpoint
CREATE TABLE `device_upload_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`organisation_id` text NOT NULL,
	`created_by` text NOT NULL,
	`file_name` text,
	`content` text NOT NULL,
	`status` text NOT NULL,
	`processed_rows` integer NOT NULL,
	`succeeded` integer NOT NULL,
	`succeeded_with_errors` integer NOT NULL,
	`failed` integer NOT NULL,
	`error` text,
	`created_at` text NOT NULL,
	`started_at` text,
	`finished_at` text,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `device_upload_jobs_organisation` ON `device_upload_jobs` (`organisation_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `device_upload_jobs_status` ON `device_upload_jobs` (`status`);--> statement-breakpoint
CREATE TABLE `device_upload_rows` (
	`job_id` text NOT NULL,
	`row_number` integer NOT NULL,
	`line` integer NOT NULL,
	`external_id` text,
	`device_id` text,
	`status` text NOT NULL,
	`errors` text NOT NULL,
	PRIMARY KEY(`job_id`, `row_number`),
	FOREIGN KEY (`job_id`) REFERENCES `device_upload_jobs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `device_upload_rows_device` ON `device_upload_rows` (`device_id`);--> statement-breakpoint
CREATE TABLE `devices` (
	`id` text PRIMARY KEY NOT NULL,
	`organisation_id` text NOT NULL,
	`external_id` text NOT NULL,
	`project_name` text,
	`country_code` text NOT NULL,
	`commissioning_date` text NOT NULL,
	`onboarded_at` text NOT NULL,
	`capacity_w` integer NOT NULL,
	`off_taker` text,
	`fuel_code` text,
	`device_type_code` text,
	`impact_story` text,
	`device_description` text,
	`sdg_benefits` integer NOT NULL,
	`address` text,
	`latitude` real,
	`longitude` real,
	`quality_labels` text,
	`grid_interconnection` integer NOT NULL,
	`energy_storage` integer NOT NULL,
	`energy_storage_capacity_wh` integer,
	`time_zone` text NOT NULL,
	`time_zone_source` text NOT NULL,
	`yield_override` real,
	`energy_source` text NOT NULL,
	`technology_type` text NOT NULL,
	`is_storage` integer NOT NULL,
	`grid` text,
	`validation_errors` text NOT NULL,
	`upload_job_id` text,
	`created_by` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `devices_organisation_external_id` ON `devices` (`organisation_id`,`external_id`);--> statement-breakpoint
CREATE INDEX `devices_organisation_onboarded` ON `devices` (`organisation_id`,`onboarded_at`,`id`);--> statement-breakpoint
CREATE INDEX `devices_organisation_commissioning` ON `devices` (`organisation_id`,`commissioning_date`,`id`);--> statement-breakpoint
CREATE INDEX `devices_organisation_capacity` ON `devices` (`organisation_id`,`capacity_w`,`id`);--> statement-breakpoint
CREATE INDEX `devices_organisation_country` ON `devices` (`organisation_id`,`country_code`,`onboarded_at`,`id`);--> statement-breakpoint
CREATE INDEX `devices_external_id` ON `devices` (`external_id`,`id`);--> statement-breakpoint
CREATE INDEX `devices_onboarded` ON `devices` (`onboarded_at`,`id`);--> statement-breakpoint
CREATE INDEX `devices_commissioning` ON `devices` (`commissioning_date`,`id`);--> statement-breakpoint
CREATE INDEX `devices_capacity` ON `devices` (`capacity_w`,`id`);--> statement-breakpoint
CREATE INDEX `devices_country` ON `devices` (`country_code`,`onboarded_at`,`id`);--> statement-breakpoint
CREATE TABLE `invitations` (
	`id` text PRIMARY KEY NOT NULL,
	`organisation_id` text NOT NULL,
	`email` text NOT NULL,
	`first_name` text NOT NULL,
	`last_name` text NOT NULL,
	`permissions` text NOT NULL,
	`is_organisation_admin` integer NOT NULL,
	`token_hash` text NOT NULL,
	`invited_by` text NOT NULL,
	`state` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`responded_at` text,
	`user_id` text,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`invited_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `invitations_token_hash_unique` ON `invitations` (`token_hash`);--> statement-breakpoint
CREATE INDEX `invitations_organisation` ON `invitations` (`organisation_id`);--> statement-breakpoint
CREATE INDEX `invitations_email` ON `invitations` (`email`);--> statement-breakpoint
CREATE TABLE `outbox_emails` (
	`id` text PRIMARY KEY NOT NULL,
	`to` text NOT NULL,
	`subject` text NOT NULL,
	`body` text NOT NULL,
	`created_at` text NOT NULL,
	`delivered_at` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`next_attempt_at` text
);
--> statement-breakpoint
CREATE INDEX `outbox_emails_due` ON `outbox_emails` (`delivered_at`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `country_yields` (
	`country_code` text PRIMARY KEY NOT NULL,
	`yield_kwh_per_kw_year` real NOT NULL,
	`updated_at` text NOT NULL,
	`updated_by` text NOT NULL,
	FOREIGN KEY (`updated_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `device_read_state` (
	`device_id` text PRIMARY KEY NOT NULL,
	`locked_type` text,
	`last_end_at` integer,
	`last_meter_wh` integer,
	`certified_through` integer,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `meter_reads` (
	`id` integer PRIMARY KEY NOT NULL,
	`device_id` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`baseline` integer NOT NULL,
	`start_at` integer,
	`end_at` integer NOT NULL,
	`value_wh` integer NOT NULL,
	`energy_wh` integer NOT NULL,
	`claimed_wh` integer NOT NULL,
	`reasons` text NOT NULL,
	`submitted` text NOT NULL,
	`received_at` integer NOT NULL,
	`late` integer DEFAULT false NOT NULL,
	`submitted_by` text NOT NULL,
	`api_key_id` text,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`submitted_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `meter_reads_device_end` ON `meter_reads` (`device_id`,`end_at`);--> statement-breakpoint
CREATE INDEX `meter_reads_device_status_end` ON `meter_reads` (`device_id`,`status`,`end_at`);--> statement-breakpoint
CREATE TABLE `wallet_challenges` (
	`id` text PRIMARY KEY NOT NULL,
	`organisation_id` text NOT NULL,
	`address` text NOT NULL,
	`message` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `wallet_challenges_organisation` ON `wallet_challenges` (`organisation_id`);--> statement-breakpoint
CREATE TABLE `wallets` (
	`address` text PRIMARY KEY NOT NULL,
	`organisation_id` text NOT NULL,
	`kind` text NOT NULL,
	`sealed_key` text,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `wallets_organisation` ON `wallets` (`organisation_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `wallets_one_managed_per_organisation` ON `wallets` (`organisation_id`) WHERE "wallets"."kind" = 'managed';