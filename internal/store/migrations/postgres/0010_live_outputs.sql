-- A workflow's live HLS outputs (JSON array of {format, lowLatency}), beside
-- the blueprint snapshot, so that a page of channels renders their playback
-- URLs without decoding it. Every workflow before this one had one TS output.
ALTER TABLE workflows ADD COLUMN live_outputs TEXT NOT NULL DEFAULT 'null';
UPDATE workflows SET live_outputs = '[{"format":"TS"}]';
