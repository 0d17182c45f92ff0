-- Schedules that run (what the scheduler did with each occurrence), endpoints
-- prepared ahead of a run, the occurrence a run is, and managed inputs.
ALTER TABLE workflows ADD COLUMN schedule_state TEXT NOT NULL DEFAULT '{}';
ALTER TABLE workflows ADD COLUMN prepared_inputs TEXT NOT NULL DEFAULT '[]';
ALTER TABLE runs ADD COLUMN occurrence TEXT;

CREATE TABLE managed_inputs (
    id         TEXT NOT NULL PRIMARY KEY,
    org_id     TEXT NOT NULL,
    name       TEXT NOT NULL,
    region     TEXT NOT NULL,
    type       TEXT NOT NULL,
    class      TEXT NOT NULL,
    ingests    TEXT NOT NULL, -- JSON array of endpoints, one per pipeline
    in_use_by  TEXT,          -- the workflow whose run holds it
    created    TEXT NOT NULL
) STRICT;
CREATE INDEX managed_inputs_org ON managed_inputs (org_id, created, id);
