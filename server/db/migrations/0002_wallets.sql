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