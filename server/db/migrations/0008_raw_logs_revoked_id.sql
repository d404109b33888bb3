CREATE INDEX `chain_raw_logs_revoked_id` ON `chain_raw_logs` (json_extract("args", '$.id')) WHERE "event_name" = 'CertificateRevoked';
