DROP TABLE `chain_checkpoint`;--> statement-breakpoint
DROP TABLE `chain_raw_logs`;