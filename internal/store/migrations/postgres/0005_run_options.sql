-- Per-run packaging options (the Streams API's archive path, start-over window,
-- key rotation), as JSON.
ALTER TABLE runs ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
