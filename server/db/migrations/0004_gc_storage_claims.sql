CREATE TABLE `gc_retirements` (
	`id` text PRIMARY KEY NOT NULL,
	`bundle_id` text NOT NULL,
	`account_id` text NOT NULL,
	`action_id` text NOT NULL,
	`reason` text NOT NULL,
	`beneficiary` text NOT NULL,
	`beneficiary_type` text NOT NULL,
	`beneficiary_location` text,
	`details` text NOT NULL,
	`details_hash` text NOT NULL,
	`tx_hash` text NOT NULL,
	`retired_at` integer NOT NULL,
	`retired_by` text NOT NULL,
	FOREIGN KEY (`bundle_id`) REFERENCES `gc_bundles`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `gc_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`action_id`) REFERENCES `gc_actions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`retired_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gc_retirements_bundle_id_unique` ON `gc_retirements` (`bundle_id`);--> statement-breakpoint
CREATE INDEX `gc_retirements_beneficiary` ON `gc_retirements` (`beneficiary`,`retired_at`,`id`);--> statement-breakpoint
CREATE INDEX `gc_retirements_retired` ON `gc_retirements` (`retired_at`,`id`);--> statement-breakpoint
CREATE TABLE `gc_device_accounts` (
	`device_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`assigned_at` integer NOT NULL,
	`assigned_by` text NOT NULL,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `gc_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assigned_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `gc_exports` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`destination_registry` text NOT NULL,
	`bundle_ids` text NOT NULL,
	`csv` text NOT NULL,
	`tx_hash` text NOT NULL,
	`exported_by` text NOT NULL,
	`exported_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `gc_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`exported_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `gc_imports` (
	`bundle_id` text PRIMARY KEY NOT NULL,
	`import_id` text NOT NULL,
	`line` integer NOT NULL,
	`source_registry` text NOT NULL,
	`device_id` text NOT NULL,
	`source_range_start` integer NOT NULL,
	`source_range_end` integer NOT NULL,
	`imported_by` text NOT NULL,
	`imported_at` integer NOT NULL,
	FOREIGN KEY (`bundle_id`) REFERENCES `gc_bundles`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`imported_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `gc_imports_source_device` ON `gc_imports` (`source_registry`,`device_id`,`source_range_start`);--> statement-breakpoint
CREATE INDEX `gc_imports_import` ON `gc_imports` (`import_id`);--> statement-breakpoint
CREATE TABLE `gc_mint_batches` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`kind` integer NOT NULL,
	`state` text NOT NULL,
	`size` integer NOT NULL,
	`nonce` integer,
	`deadline` integer,
	`signature` text,
	`tx_hash` text,
	`first_token_id` text,
	`gas_used` integer,
	`last_error` text,
	`lease_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `gc_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`nonce`) REFERENCES `voucher_nonces`(`nonce`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gc_mint_batches_nonce` ON `gc_mint_batches` (`nonce`);--> statement-breakpoint
CREATE INDEX `gc_mint_batches_state` ON `gc_mint_batches` (`state`);--> statement-breakpoint
CREATE TABLE `gc_mint_items` (
	`bundle_id` text PRIMARY KEY NOT NULL,
	`batch_id` text NOT NULL,
	`position` integer NOT NULL,
	FOREIGN KEY (`bundle_id`) REFERENCES `gc_bundles`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`batch_id`) REFERENCES `gc_mint_batches`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gc_mint_items_position` ON `gc_mint_items` (`batch_id`,`position`);--> statement-breakpoint
CREATE TABLE `allocated_storage_records` (
	`id` text PRIMARY KEY NOT NULL,
	`allocation_id` text NOT NULL,
	`row` integer NOT NULL,
	`line` integer,
	`scr_id` text NOT NULL,
	`sdr_id` text NOT NULL,
	`submitted_gc_id` text NOT NULL,
	`gc_bundle_id` text NOT NULL,
	`charge_wh` integer NOT NULL,
	`discharge_wh` integer NOT NULL,
	`sdgc_bundle_id` text,
	FOREIGN KEY (`allocation_id`) REFERENCES `storage_allocations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`scr_id`) REFERENCES `storage_records`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sdr_id`) REFERENCES `storage_records`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`gc_bundle_id`) REFERENCES `gc_bundles`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sdgc_bundle_id`) REFERENCES `gc_bundles`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `allocated_storage_records_allocation` ON `allocated_storage_records` (`allocation_id`,`row`);--> statement-breakpoint
CREATE INDEX `allocated_storage_records_gc` ON `allocated_storage_records` (`gc_bundle_id`);--> statement-breakpoint
CREATE INDEX `allocated_storage_records_sdr` ON `allocated_storage_records` (`sdr_id`);--> statement-breakpoint
CREATE INDEX `allocated_storage_records_scr` ON `allocated_storage_records` (`scr_id`);--> statement-breakpoint
CREATE TABLE `storage_allocations` (
	`id` text PRIMARY KEY NOT NULL,
	`device_id` text NOT NULL,
	`account_id` text NOT NULL,
	`cancellation` text NOT NULL,
	`status` text NOT NULL,
	`content` text NOT NULL,
	`content_type` text NOT NULL,
	`sdr_volume_wh` integer NOT NULL,
	`gcs_cancelled_wh` integer NOT NULL,
	`sdgc_volume_wh` integer NOT NULL,
	`sdr_proportion` text,
	`efficiency_factor` text,
	`error` text,
	`submitted_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`issued_at` integer,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`account_id`) REFERENCES `gc_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`submitted_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `storage_allocations_device` ON `storage_allocations` (`device_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `storage_allocations_status` ON `storage_allocations` (`status`);--> statement-breakpoint
CREATE TABLE `storage_cancellation_items` (
	`cancellation_id` text NOT NULL,
	`position` integer NOT NULL,
	`submitted_bundle_id` text NOT NULL,
	`wh` integer NOT NULL,
	`bundle_id` text,
	PRIMARY KEY(`cancellation_id`, `position`),
	FOREIGN KEY (`cancellation_id`) REFERENCES `storage_cancellations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`submitted_bundle_id`) REFERENCES `gc_bundles`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`bundle_id`) REFERENCES `gc_bundles`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `storage_cancellation_items_submitted` ON `storage_cancellation_items` (`submitted_bundle_id`);--> statement-breakpoint
CREATE TABLE `storage_cancellations` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`allocation_id` text,
	`status` text NOT NULL,
	`tx_hash` text,
	`error` text,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `gc_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`allocation_id`) REFERENCES `storage_allocations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `storage_cancellations_account` ON `storage_cancellations` (`account_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `storage_cancellations_status` ON `storage_cancellations` (`status`);--> statement-breakpoint
CREATE TABLE `storage_record_uploads` (
	`id` text PRIMARY KEY NOT NULL,
	`device_id` text NOT NULL,
	`content` text NOT NULL,
	`content_type` text NOT NULL,
	`sha256` text NOT NULL,
	`submitted_by` text NOT NULL,
	`submitted_at` integer NOT NULL,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`submitted_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `storage_record_uploads_device` ON `storage_record_uploads` (`device_id`,`submitted_at`);--> statement-breakpoint
CREATE TABLE `storage_records` (
	`id` text PRIMARY KEY NOT NULL,
	`device_id` text NOT NULL,
	`upload_id` text NOT NULL,
	`flow` text NOT NULL,
	`hour_start` integer NOT NULL,
	`energy_wh` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`upload_id`) REFERENCES `storage_record_uploads`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `storage_records_device_flow_hour` ON `storage_records` (`device_id`,`flow`,`hour_start`);--> statement-breakpoint
CREATE INDEX `storage_records_upload` ON `storage_records` (`upload_id`);--> statement-breakpoint
ALTER TABLE `certificate_claims` ADD `irec_redemption_id` text;--> statement-breakpoint
ALTER TABLE `certificate_claims` ADD `irec_first_serial` text;--> statement-breakpoint
ALTER TABLE `certificate_claims` ADD `irec_last_serial` text;