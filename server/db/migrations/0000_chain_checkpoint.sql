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
