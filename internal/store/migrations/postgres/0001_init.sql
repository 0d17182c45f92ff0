-- The first schema: blueprints, workflows with their tags, and runs.
-- Documents (a blueprint's settings, a workflow's blueprint snapshot and schedule,
-- a run's inputs and archives) are JSON text, kept byte for byte; what queries
-- filter on is a column.

CREATE TABLE blueprints (
    org_id      TEXT        NOT NULL,
    id          TEXT        NOT NULL,
    name        TEXT        NOT NULL,
    description TEXT        NOT NULL,
    featured    BOOLEAN     NOT NULL,
    tags        TEXT        NOT NULL, -- JSON array
    settings    TEXT        NOT NULL, -- JSON object
    created     TIMESTAMPTZ NOT NULL,
    updated     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE workflows (
    id               TEXT        NOT NULL PRIMARY KEY,
    org_id           TEXT        NOT NULL,
    name             TEXT        NOT NULL,
    name_fold        TEXT        NOT NULL, -- name in lower case, for search
    description      TEXT        NOT NULL,
    description_fold TEXT        NOT NULL, -- description in lower case, for search
    region           TEXT        NOT NULL,
    status           TEXT        NOT NULL,
    cause            TEXT        NOT NULL,
    blueprint_id     TEXT        NOT NULL,
    blueprint        TEXT        NOT NULL, -- JSON object: the snapshot
    tags             TEXT        NOT NULL, -- JSON array, in the user's order
    schedule         TEXT,                 -- JSON object, NULL for none
    create_archives  BOOLEAN     NOT NULL,
    run_id           TEXT,                 -- the current run, NULL before the first start
    created          TIMESTAMPTZ NOT NULL,
    updated          TIMESTAMPTZ NOT NULL
);

CREATE INDEX workflows_org_created ON workflows (org_id, created, id);
CREATE INDEX workflows_status ON workflows (status);

CREATE TABLE workflow_tags (
    org_id      TEXT NOT NULL,
    workflow_id TEXT NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    tag         TEXT NOT NULL,
    PRIMARY KEY (workflow_id, tag)
);

CREATE INDEX workflow_tags_org_tag ON workflow_tags (org_id, tag);

CREATE TABLE runs (
    id              TEXT        NOT NULL PRIMARY KEY,
    org_id          TEXT        NOT NULL,
    workflow_id     TEXT        NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    region          TEXT        NOT NULL,
    status          TEXT        NOT NULL,
    cause           TEXT        NOT NULL,
    start_requested TIMESTAMPTZ,
    started         TIMESTAMPTZ,
    stop_requested  TIMESTAMPTZ,
    stopped         TIMESTAMPTZ,
    inputs          TEXT        NOT NULL, -- JSON array
    archives        TEXT        NOT NULL, -- JSON array
    created         TIMESTAMPTZ NOT NULL
);

CREATE INDEX runs_org_created ON runs (org_id, created, id);
CREATE INDEX runs_workflow_created ON runs (workflow_id, created, id);
