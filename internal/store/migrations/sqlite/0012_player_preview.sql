-- A workflow's preview playback URL for front ends (the blueprint's
-- playerPreview, or its HLS push destination's playback URL), beside the
-- blueprint snapshot, so that a page of channels shows it without decoding it.
ALTER TABLE workflows ADD COLUMN player_preview TEXT NOT NULL DEFAULT '';
