-- Streams (the Streams API): a managed input and a workflow started many
-- times, each start a session with its own archive directory.
CREATE TABLE streams (
    id                       TEXT    NOT NULL PRIMARY KEY,
    org_id                   TEXT    NOT NULL,
    name                     TEXT    NOT NULL,
    description              TEXT    NOT NULL,
    blueprint_id             TEXT    NOT NULL,
    workflow_id              TEXT    NOT NULL,
    input_id                 TEXT    NOT NULL,
    segment_length           INTEGER NOT NULL,
    startover_window_seconds INTEGER NOT NULL,
    key_rotation_interval    INTEGER NOT NULL,
    cloudfront_associated    INTEGER NOT NULL,
    archives_path            TEXT    NOT NULL, -- JSON object: session id -> directory under archive/
    current_session_id       TEXT    NOT NULL, -- '' before the first start
    last_started             TEXT,
    last_stopped             TEXT,
    last_update              TEXT    NOT NULL,
    created                  TEXT    NOT NULL
) STRICT;

CREATE INDEX streams_org_created ON streams (org_id, created, id);
