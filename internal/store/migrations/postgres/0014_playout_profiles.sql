-- Playout profiles (Vualto): named manifest configurations attached to
-- workflows (events). A workflow's profile ids are kept twice, as with its
-- tags: as a JSON array in its row, in the user's order, and one row each in
-- workflow_playout_profiles, which finds a profile's events.
CREATE TABLE playout_profiles (
    id                 TEXT NOT NULL PRIMARY KEY,
    org_id             TEXT NOT NULL,
    name               TEXT NOT NULL,
    configuration_json TEXT NOT NULL, -- as given, answered back as it is
    created            TIMESTAMPTZ NOT NULL,
    updated            TIMESTAMPTZ NOT NULL
);

CREATE INDEX playout_profiles_org ON playout_profiles (org_id, created);

ALTER TABLE workflows ADD COLUMN playout_profiles TEXT NOT NULL DEFAULT '[]';
-- The event state set by hand (domain.EventStateSet, JSON), or NULL.
ALTER TABLE workflows ADD COLUMN event_state TEXT;

CREATE TABLE workflow_playout_profiles (
    org_id      TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    profile_id  TEXT NOT NULL,
    PRIMARY KEY (workflow_id, profile_id),
    FOREIGN KEY (workflow_id) REFERENCES workflows (id) ON DELETE CASCADE
);

CREATE INDEX workflow_playout_profiles_profile ON workflow_playout_profiles (profile_id);

-- The playout manifests that exist on the origin: one per event and
-- profile, at its path, serving the profile's configuration as it was
-- synced. The sync controller creates, updates and removes them.
CREATE TABLE playout_manifests (
    path               TEXT NOT NULL PRIMARY KEY,
    org_id             TEXT NOT NULL,
    workflow_id        TEXT NOT NULL,
    profile_id         TEXT NOT NULL,
    configuration_json TEXT NOT NULL,
    created            TIMESTAMPTZ NOT NULL,
    updated            TIMESTAMPTZ NOT NULL,
    UNIQUE (workflow_id, profile_id),
    FOREIGN KEY (workflow_id) REFERENCES workflows (id) ON DELETE CASCADE
);
