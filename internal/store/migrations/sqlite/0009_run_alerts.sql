-- A run's open alerts, one per failing pipeline (JSON array): what is wrong
-- with its media now, shown in channel info.
ALTER TABLE runs ADD COLUMN alerts TEXT NOT NULL DEFAULT '[]';
