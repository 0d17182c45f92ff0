-- A run's destination workers as they last reported (JSON array): state,
-- since when, the last error, what each sent.
ALTER TABLE runs ADD COLUMN destinations TEXT NOT NULL DEFAULT '[]';
