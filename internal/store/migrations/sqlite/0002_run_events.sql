-- A run's event log: publishers coming and going, pipeline restarts (JSON array).
ALTER TABLE runs ADD COLUMN events TEXT NOT NULL DEFAULT '[]';
