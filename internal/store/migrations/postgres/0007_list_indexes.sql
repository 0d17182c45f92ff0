-- Lists at scale: each filter of GET /api/workflows has an index, and a page is
-- read without the blueprint snapshot.

-- The blueprint's channel class, beside the snapshot, so that a page of
-- channels renders playback URLs without decoding it.
ALTER TABLE workflows ADD COLUMN channel_class TEXT NOT NULL DEFAULT '';
UPDATE workflows SET channel_class = COALESCE(blueprint::jsonb #>> '{settings,channel,class}', '');

-- A status filter reads one range of this index per status, already in page
-- order (created DESC, id DESC).
CREATE INDEX workflows_org_status_created ON workflows (org_id, status, created, id);

-- A tag filter walks its first tag's rows in page order and checks the other
-- tags by primary key, so a tag row carries its workflow's creation time.
ALTER TABLE workflow_tags ADD COLUMN created TIMESTAMPTZ;
UPDATE workflow_tags t SET created = w.created FROM workflows w WHERE w.id = t.workflow_id;
ALTER TABLE workflow_tags ALTER COLUMN created SET NOT NULL;
DROP INDEX workflow_tags_org_tag;
CREATE INDEX workflow_tags_org_tag_created ON workflow_tags (org_id, tag, created, workflow_id);

-- Search: trigram indexes over the folded name and description (pg_trgm, a
-- contrib extension that PostgreSQL's packages ship and that any database owner
-- may create since PostgreSQL 13), so that LIKE '%…%' finds a substring of
-- three characters or more without reading every row. fastupdate is off: GIN's
-- pending list, which only a vacuum merges, must be read whole by every search,
-- and the planner, counting it, turns to reading every row while it is long;
-- workflows are written too seldom for the list to save anything.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX workflows_name_trgm ON workflows USING GIN (name_fold gin_trgm_ops) WITH (fastupdate = off);
CREATE INDEX workflows_description_trgm ON workflows USING GIN (description_fold gin_trgm_ops) WITH (fastupdate = off);
