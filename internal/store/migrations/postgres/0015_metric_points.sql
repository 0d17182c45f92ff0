-- The health history (package health): one row per pipeline and period of
-- 10 s, kept for the run's life, or of 1 min, kept for 30 days. Each row
-- holds every series of the period as a JSON object, so that a 24 h run is
-- 8640 + 1440 rows a pipeline, and a chart of any of its metrics reads one
-- range of the primary key.
CREATE TABLE metric_points (
    workflow_id TEXT NOT NULL,
    resolution  INTEGER NOT NULL, -- the period's length in seconds: 10 or 60
    t           BIGINT NOT NULL,  -- the period's start, in Unix seconds
    pipeline    INTEGER NOT NULL,
    org_id      TEXT NOT NULL,
    run_id      TEXT NOT NULL,
    vals        TEXT NOT NULL,    -- {"NetworkIn": 2012.5, "OutputBitrate/720p": 2950, ...}
    PRIMARY KEY (workflow_id, resolution, t, pipeline),
    FOREIGN KEY (workflow_id) REFERENCES workflows (id) ON DELETE CASCADE
);

-- The pruner's: the 10 s points of runs that ended, and the old 1 min points.
CREATE INDEX metric_points_age ON metric_points (resolution, t);
