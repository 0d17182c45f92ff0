-- Stream Manager provisions: settings for a scope and stream name that a
-- publisher starts a run of by pushing to rtmp://host/<scope>/<stream>.
-- Stream paths are the server's, not an organization's, so a scope and name
-- belong to one provision across organizations.
CREATE TABLE provisions (
    scope     TEXT NOT NULL,
    name      TEXT NOT NULL,
    org_id    TEXT NOT NULL,
    meta      TEXT NOT NULL, -- JSON: the meta object (domain.ProvisionMeta)
    workflows TEXT NOT NULL, -- JSON object: publish name -> workflow id
    created   TIMESTAMPTZ NOT NULL,
    updated   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, name)
);

CREATE INDEX provisions_org ON provisions (org_id, scope, name);

-- Every name a provision answers for under its scope (its stream, and each
-- variant's name): a publish or playback path names one provision at most.
CREATE TABLE provision_names (
    scope          TEXT NOT NULL,
    name           TEXT NOT NULL,
    provision_name TEXT NOT NULL,
    PRIMARY KEY (scope, name),
    FOREIGN KEY (scope, provision_name) REFERENCES provisions (scope, name) ON DELETE CASCADE
);
