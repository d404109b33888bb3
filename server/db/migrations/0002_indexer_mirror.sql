CREATE TABLE `chain_balances` (
	`holder` text NOT NULL,
	`certificate_id` text NOT NULL,
	`serial` integer NOT NULL,
	`amount` text NOT NULL,
	`claimed` text NOT NULL,
	PRIMARY KEY(`holder`, `certificate_id`)
);
--> statement-breakpoint
CREATE INDEX `chain_balances_holder_serial` ON `chain_balances` (`holder`,`serial`);--> statement-breakpoint
CREATE INDEX `chain_balances_certificate` ON `chain_balances` (`certificate_id`);--> statement-breakpoint
CREATE TABLE `chain_blocks` (
	`number` integer PRIMARY KEY NOT NULL,
	`hash` text NOT NULL,
	`parent_hash` text NOT NULL,
	`timestamp` integer NOT NULL,
	`log_count` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `chain_blocks_log_count` ON `chain_blocks` (`log_count`,`number`);--> statement-breakpoint
CREATE TABLE `chain_certificates` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` integer NOT NULL,
	`serial` integer NOT NULL,
	`ref` text NOT NULL,
	`period_start` integer NOT NULL,
	`period_end` integer NOT NULL,
	`evidence` text NOT NULL,
	`origin` text NOT NULL,
	`parent_id` text,
	`voucher_nonce` text,
	`issued_amount` text NOT NULL,
	`supply` text NOT NULL,
	`claimed_amount` text NOT NULL,
	`retired_amount` text NOT NULL,
	`split_amount` text NOT NULL,
	`status` text NOT NULL,
	`revoked_reason_hash` text,
	`revoked_block` integer,
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`transaction_hash` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chain_certificates_serial` ON `chain_certificates` (`serial`);--> statement-breakpoint
CREATE INDEX `chain_certificates_kind_serial` ON `chain_certificates` (`kind`,`serial`);--> statement-breakpoint
CREATE INDEX `chain_certificates_ref_serial` ON `chain_certificates` (`ref`,`serial`);--> statement-breakpoint
CREATE INDEX `chain_certificates_parent` ON `chain_certificates` (`parent_id`);--> statement-breakpoint
CREATE INDEX `chain_certificates_status_serial` ON `chain_certificates` (`status`,`serial`);--> statement-breakpoint
CREATE INDEX `chain_certificates_period` ON `chain_certificates` (`period_start`);--> statement-breakpoint
CREATE INDEX `chain_certificates_block` ON `chain_certificates` (`block_number`);--> statement-breakpoint
CREATE INDEX `chain_certificates_revoked_block` ON `chain_certificates` (`revoked_block`) WHERE "chain_certificates"."revoked_block" is not null;--> statement-breakpoint
CREATE TABLE `chain_checkpoint` (
	`id` integer PRIMARY KEY NOT NULL,
	`block_number` integer NOT NULL,
	`block_hash` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `chain_raw_logs` (
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`block_hash` text NOT NULL,
	`transaction_hash` text NOT NULL,
	`transaction_index` integer NOT NULL,
	`topics` text NOT NULL,
	`data` text NOT NULL,
	`event_name` text,
	`args` text,
	PRIMARY KEY(`block_number`, `log_index`)
);
--> statement-breakpoint
CREATE INDEX `chain_raw_logs_event` ON `chain_raw_logs` (`event_name`,`block_number`);--> statement-breakpoint
CREATE TABLE `chain_reservation_devices` (
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`reservation_id` text NOT NULL,
	`device` text NOT NULL,
	`removed_block` integer,
	`released_at` integer,
	PRIMARY KEY(`block_number`, `log_index`)
);
--> statement-breakpoint
CREATE INDEX `chain_reservation_devices_reservation` ON `chain_reservation_devices` (`reservation_id`);--> statement-breakpoint
CREATE INDEX `chain_reservation_devices_device` ON `chain_reservation_devices` (`device`,`block_number`);--> statement-breakpoint
CREATE INDEX `chain_reservation_devices_removed_block` ON `chain_reservation_devices` (`removed_block`) WHERE "chain_reservation_devices"."removed_block" is not null;--> statement-breakpoint
CREATE TABLE `chain_reservation_events` (
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`transaction_hash` text NOT NULL,
	`reservation_id` text NOT NULL,
	`event_name` text NOT NULL,
	`args` text NOT NULL,
	PRIMARY KEY(`block_number`, `log_index`)
);
--> statement-breakpoint
CREATE INDEX `chain_reservation_events_reservation` ON `chain_reservation_events` (`reservation_id`,`block_number`,`log_index`);--> statement-breakpoint
CREATE TABLE `chain_reservations` (
	`reservation_id` text PRIMARY KEY NOT NULL,
	`buyer` text NOT NULL,
	`start` integer NOT NULL,
	`end` integer NOT NULL,
	`frequency` integer NOT NULL,
	`standard` integer NOT NULL,
	`target_wh` text NOT NULL,
	`can_exceed_target` integer NOT NULL,
	`ended_at` integer,
	`end_reason` integer,
	`ended_block` integer,
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`transaction_hash` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `chain_reservations_buyer` ON `chain_reservations` (`buyer`);--> statement-breakpoint
CREATE INDEX `chain_reservations_block` ON `chain_reservations` (`block_number`);--> statement-breakpoint
CREATE INDEX `chain_reservations_ended_block` ON `chain_reservations` (`ended_block`) WHERE "chain_reservations"."ended_block" is not null;--> statement-breakpoint
CREATE TABLE `chain_retirements` (
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`transaction_hash` text NOT NULL,
	`holder` text NOT NULL,
	`certificate_id` text NOT NULL,
	`reason` integer NOT NULL,
	`amount` text NOT NULL,
	`beneficiary` text NOT NULL,
	`details_hash` text NOT NULL,
	PRIMARY KEY(`block_number`, `log_index`)
);
--> statement-breakpoint
CREATE INDEX `chain_retirements_holder` ON `chain_retirements` (`holder`,`block_number`,`log_index`);--> statement-breakpoint
CREATE INDEX `chain_retirements_certificate` ON `chain_retirements` (`certificate_id`,`block_number`,`log_index`);--> statement-breakpoint
CREATE INDEX `chain_retirements_reason` ON `chain_retirements` (`reason`,`block_number`,`log_index`);--> statement-breakpoint
CREATE TABLE `chain_splits` (
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`transaction_hash` text NOT NULL,
	`parent_id` text NOT NULL,
	`holder` text NOT NULL,
	`amount` text NOT NULL,
	`child_ids` text NOT NULL,
	PRIMARY KEY(`block_number`, `log_index`)
);
--> statement-breakpoint
CREATE INDEX `chain_splits_parent` ON `chain_splits` (`parent_id`);--> statement-breakpoint
CREATE INDEX `chain_splits_holder` ON `chain_splits` (`holder`);--> statement-breakpoint
CREATE TABLE `chain_transfers` (
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`batch_index` integer NOT NULL,
	`transaction_hash` text NOT NULL,
	`operator` text NOT NULL,
	`from_address` text NOT NULL,
	`to_address` text NOT NULL,
	`certificate_id` text NOT NULL,
	`amount` text NOT NULL,
	`action` text NOT NULL,
	`reason` integer,
	PRIMARY KEY(`block_number`, `log_index`, `batch_index`)
);
--> statement-breakpoint
CREATE INDEX `chain_transfers_from` ON `chain_transfers` (`from_address`,`block_number`,`log_index`);--> statement-breakpoint
CREATE INDEX `chain_transfers_to` ON `chain_transfers` (`to_address`,`block_number`,`log_index`);--> statement-breakpoint
CREATE INDEX `chain_transfers_certificate` ON `chain_transfers` (`certificate_id`,`block_number`,`log_index`);--> statement-breakpoint
CREATE TABLE `chain_vouchers` (
	`nonce` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`recipient` text,
	`first_id` text,
	`count` integer,
	`block_number` integer NOT NULL,
	`log_index` integer NOT NULL,
	`transaction_hash` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `chain_vouchers_recipient` ON `chain_vouchers` (`recipient`);--> statement-breakpoint
CREATE INDEX `chain_vouchers_block` ON `chain_vouchers` (`block_number`);