CREATE TABLE `certificate_claims` (
	`id` text PRIMARY KEY NOT NULL,
	`certificate_id` text NOT NULL,
	`organisation_id` text NOT NULL,
	`holder` text NOT NULL,
	`amount_wh` integer NOT NULL,
	`redeem_as` text NOT NULL,
	`custody` text NOT NULL,
	`details` text NOT NULL,
	`details_hash` text NOT NULL,
	`state` text NOT NULL,
	`tx_hash` text,
	`error` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `certificate_claims_details_hash` ON `certificate_claims` (`details_hash`);--> statement-breakpoint
CREATE INDEX `certificate_claims_certificate` ON `certificate_claims` (`certificate_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `certificate_claims_organisation` ON `certificate_claims` (`organisation_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `gc_account_users` (
	`account_id` text NOT NULL,
	`user_id` text NOT NULL,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `gc_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gc_account_users_role` ON `gc_account_users` (`account_id`,`user_id`,`role`);--> statement-breakpoint
CREATE INDEX `gc_account_users_user` ON `gc_account_users` (`user_id`);--> statement-breakpoint
CREATE TABLE `gc_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`organisation_id` text NOT NULL,
	`name` text NOT NULL,
	`address` text NOT NULL,
	`custody` text NOT NULL,
	`sealed_key` text,
	`allowlist_tx_hash` text,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gc_accounts_address_unique` ON `gc_accounts` (`address`);--> statement-breakpoint
CREATE INDEX `gc_accounts_organisation` ON `gc_accounts` (`organisation_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `gc_accounts_organisation_name` ON `gc_accounts` (`organisation_id`,`name`);--> statement-breakpoint
CREATE TABLE `gc_actions` (
	`id` text PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`user_id` text,
	`account_id` text,
	`action` text NOT NULL,
	`bundle_ids` text NOT NULL,
	`details` text NOT NULL,
	`outcome` text NOT NULL,
	`error` text,
	`tx_hash` text,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `gc_accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `gc_actions_account_at` ON `gc_actions` (`account_id`,`at`);--> statement-breakpoint
CREATE TABLE `gc_bundles` (
	`id` text PRIMARY KEY NOT NULL,
	`token_id` text,
	`account_id` text NOT NULL,
	`device_id` text NOT NULL,
	`origin` text NOT NULL,
	`status` text NOT NULL,
	`start_at` integer NOT NULL,
	`end_at` integer NOT NULL,
	`energy_wh` integer NOT NULL,
	`range_start` integer NOT NULL,
	`range_end` integer NOT NULL,
	`attributes` text NOT NULL,
	`parent_id` text,
	`source_registry` text,
	`source_id` text,
	`tx_hash` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `gc_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gc_bundles_token_id_unique` ON `gc_bundles` (`token_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `gc_bundles_device_hour` ON `gc_bundles` (`device_id`,`start_at`) WHERE "gc_bundles"."origin" = 'production' AND "gc_bundles"."parent_id" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `gc_bundles_source` ON `gc_bundles` (`source_registry`,`source_id`) WHERE "gc_bundles"."source_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `gc_bundles_account_status` ON `gc_bundles` (`account_id`,`status`);--> statement-breakpoint
CREATE INDEX `gc_bundles_device_range` ON `gc_bundles` (`device_id`,`range_end`);--> statement-breakpoint
CREATE INDEX `gc_bundles_parent` ON `gc_bundles` (`parent_id`);--> statement-breakpoint
CREATE TABLE `gc_whitelist` (
	`account_id` text NOT NULL,
	`sender_account_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`tx_hash` text,
	FOREIGN KEY (`account_id`) REFERENCES `gc_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sender_account_id`) REFERENCES `gc_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gc_whitelist_pair` ON `gc_whitelist` (`account_id`,`sender_account_id`);--> statement-breakpoint
CREATE TABLE `irec_simulated_issuances` (
	`certificate_id` text PRIMARY KEY NOT NULL,
	`country_code` text NOT NULL,
	`first_sequence` integer NOT NULL,
	`amount_wh` integer NOT NULL,
	`redeemed_wh` integer NOT NULL,
	`issued_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `irec_simulated_redemptions` (
	`id` text PRIMARY KEY NOT NULL,
	`certificate_id` text NOT NULL,
	`first_sequence` integer NOT NULL,
	`amount_wh` integer NOT NULL,
	`beneficiary` text NOT NULL,
	`redeemed_at` integer NOT NULL,
	FOREIGN KEY (`certificate_id`) REFERENCES `irec_simulated_issuances`(`certificate_id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `issuance_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`reservation_id` text NOT NULL,
	`window_start` integer NOT NULL,
	`window_end` integer NOT NULL,
	`organisation_id` text NOT NULL,
	`country_code` text NOT NULL,
	`batch` integer NOT NULL,
	`state` text NOT NULL,
	`amount_wh` integer NOT NULL,
	`evidence_root` text NOT NULL,
	`nonce` integer,
	`deadline` integer,
	`signature` text,
	`tx_hash` text,
	`certificate_id` text,
	`gas_paid_wei` text,
	`standard_state` text,
	`standard_first_serial` text,
	`standard_last_serial` text,
	`standard_tx_hash` text,
	`last_error` text,
	`lease_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`reservation_id`) REFERENCES `reservations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`nonce`) REFERENCES `voucher_nonces`(`nonce`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `issuance_jobs_group` ON `issuance_jobs` (`reservation_id`,`window_start`,`organisation_id`,`country_code`,`batch`);--> statement-breakpoint
CREATE UNIQUE INDEX `issuance_jobs_nonce` ON `issuance_jobs` (`nonce`);--> statement-breakpoint
CREATE UNIQUE INDEX `issuance_jobs_certificate` ON `issuance_jobs` (`certificate_id`);--> statement-breakpoint
CREATE INDEX `issuance_jobs_state` ON `issuance_jobs` (`state`);--> statement-breakpoint
CREATE INDEX `issuance_jobs_organisation` ON `issuance_jobs` (`organisation_id`);--> statement-breakpoint
CREATE TABLE `issuance_leaves` (
	`id` integer PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`device_id` text NOT NULL,
	`start` integer NOT NULL,
	`end` integer NOT NULL,
	`wh` integer NOT NULL,
	FOREIGN KEY (`job_id`) REFERENCES `issuance_jobs`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `issuance_leaves_job` ON `issuance_leaves` (`job_id`);--> statement-breakpoint
CREATE INDEX `issuance_leaves_device` ON `issuance_leaves` (`device_id`,`start`);--> statement-breakpoint
CREATE TABLE `issuance_read_parts` (
	`read_id` integer NOT NULL,
	`part_start` integer NOT NULL,
	`part_end` integer NOT NULL,
	`wh` integer NOT NULL,
	`job_id` text NOT NULL,
	FOREIGN KEY (`read_id`) REFERENCES `meter_reads`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`job_id`) REFERENCES `issuance_jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `issuance_read_parts_read` ON `issuance_read_parts` (`read_id`,`part_start`);--> statement-breakpoint
CREATE INDEX `issuance_read_parts_job` ON `issuance_read_parts` (`job_id`);--> statement-breakpoint
CREATE TABLE `voucher_nonces` (
	`nonce` integer PRIMARY KEY NOT NULL,
	`purpose` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `reservation_devices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`reservation_id` text NOT NULL,
	`device_id` text NOT NULL,
	`added_at` integer NOT NULL,
	`add_tx_hash` text NOT NULL,
	`released_at` integer,
	`release_tx_hash` text,
	`release_reason` text,
	FOREIGN KEY (`reservation_id`) REFERENCES `reservations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reservation_devices_one_active` ON `reservation_devices` (`device_id`) WHERE "reservation_devices"."released_at" IS NULL;--> statement-breakpoint
CREATE INDEX `reservation_devices_reservation` ON `reservation_devices` (`reservation_id`);--> statement-breakpoint
CREATE INDEX `reservation_devices_device_released` ON `reservation_devices` (`device_id`,`released_at`);--> statement-breakpoint
CREATE TABLE `reservations` (
	`id` text PRIMARY KEY NOT NULL,
	`chain_ref` text NOT NULL,
	`buyer_organisation_id` text NOT NULL,
	`name` text NOT NULL,
	`standard` text NOT NULL,
	`frequency` text NOT NULL,
	`start_at` integer NOT NULL,
	`end_at` integer NOT NULL,
	`target_wh` integer NOT NULL,
	`can_exceed_target` integer NOT NULL,
	`wallet_address` text NOT NULL,
	`status` text NOT NULL,
	`end_reason` text,
	`ended_at` integer,
	`release_error` text,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`create_tx_hash` text NOT NULL,
	`end_tx_hash` text,
	FOREIGN KEY (`buyer_organisation_id`) REFERENCES `organisations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reservations_chain_ref_unique` ON `reservations` (`chain_ref`);--> statement-breakpoint
CREATE INDEX `reservations_buyer_created` ON `reservations` (`buyer_organisation_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `reservations_status_end` ON `reservations` (`status`,`end_at`);--> statement-breakpoint
ALTER TABLE `chain_certificates` ADD `awaiting_serials` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `chain_certificates` ADD `standard_first_serial` text;--> statement-breakpoint
ALTER TABLE `chain_certificates` ADD `standard_last_serial` text;--> statement-breakpoint
ALTER TABLE `chain_certificates` ADD `serials_block` integer;--> statement-breakpoint
CREATE INDEX `chain_certificates_serials_block` ON `chain_certificates` (`serials_block`) WHERE "chain_certificates"."serials_block" is not null;