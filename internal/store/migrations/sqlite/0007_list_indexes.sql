-- Lists at scale: each filter of GET /api/workflows has an index, and a page is
-- read without the blueprint snapshot.

-- The blueprint's channel class, beside the snapshot, so that a page of
-- channels renders playback URLs without decoding it.
ALTER TABLE workflows ADD COLUMN channel_class TEXT NOT NULL DEFAULT '';
UPDATE workflows SET channel_class = COALESCE(json_extract(blueprint, '$.settings.channel.class'), '');

-- A status filter reads one range of this index per status, already in page
-- order (created DESC, id DESC).
CREATE INDEX workflows_org_status_created ON workflows (org_id, status, created, id);

-- A tag filter walks its first tag's rows in page order and checks the other
-- tags by primary key, so a tag row carries its workflow's creation time.
ALTER TABLE workflow_tags ADD COLUMN created TEXT NOT NULL DEFAULT '';
UPDATE workflow_tags SET created = (SELECT w.created FROM workflows w WHERE w.id = workflow_tags.workflow_id);
DROP INDEX workflow_tags_org_tag;
CREATE INDEX workflow_tags_org_tag_created ON workflow_tags (org_id, tag, created, workflow_id);

-- Search: a trigram index over the folded name and description, so that any
-- substring of three characters or more is found without reading every row.
-- It is case-sensitive because the text is folded already, by Go, exactly as
-- the search string is, and keeps only the index, not the text again. Its
-- rows are keyed by integers: each workflow keeps its row's in search_rowid,
-- which the page-order index carries, so that a search walks that index and
-- tests each entry against the matching rowids without reading the rows
-- (store/workflow_search.go says when it reads the matches instead).
-- (The workflows rowid itself would not do: VACUUM may renumber it, since the
-- table's key is text.) Triggers keep the index in step with every write; a
-- new row's rowid is FTS5's own next one.
ALTER TABLE workflows ADD COLUMN search_rowid INTEGER;

CREATE VIRTUAL TABLE workflow_search USING fts5(
    name, description,
    content = '', contentless_delete = 1,
    tokenize = 'trigram case_sensitive 1'
);

INSERT INTO workflow_search (rowid, name, description) SELECT rowid, name_fold, description_fold FROM workflows;
UPDATE workflows SET search_rowid = rowid;

DROP INDEX workflows_org_created;
CREATE INDEX workflows_org_created ON workflows (org_id, created, id, search_rowid);
-- A search that matches few workflows reads them by this one instead.
CREATE UNIQUE INDEX workflows_search_rowid ON workflows (search_rowid);

CREATE TRIGGER workflows_search_insert AFTER INSERT ON workflows BEGIN
    INSERT INTO workflow_search (name, description) VALUES (new.name_fold, new.description_fold);
    UPDATE workflows SET search_rowid = last_insert_rowid() WHERE id = new.id;
END;

CREATE TRIGGER workflows_search_update AFTER UPDATE OF name_fold, description_fold ON workflows
WHEN old.name_fold IS NOT new.name_fold OR old.description_fold IS NOT new.description_fold BEGIN
    UPDATE workflow_search SET name = new.name_fold, description = new.description_fold
        WHERE rowid = new.search_rowid;
END;

CREATE TRIGGER workflows_search_delete AFTER DELETE ON workflows BEGIN
    DELETE FROM workflow_search WHERE rowid = old.search_rowid;
END;
