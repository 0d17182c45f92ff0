-- Identity: organizations, their users and API keys, refresh tokens, and the
-- server's secrets. Passwords, keys and tokens are kept only as hashes. Emails
-- are stored in lower case, so that the unique index makes them unique whatever
-- their case; they are unique across the server, since login is by email alone.

CREATE TABLE organizations (
    id      TEXT        NOT NULL PRIMARY KEY,
    name    TEXT        NOT NULL,
    created TIMESTAMPTZ NOT NULL
);

CREATE INDEX organizations_created ON organizations (created, id);

CREATE TABLE users (
    id            TEXT        NOT NULL PRIMARY KEY,
    org_id        TEXT        NOT NULL,
    email         TEXT        NOT NULL UNIQUE, -- in lower case
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL,
    server_admin  BOOLEAN     NOT NULL,
    disabled      BOOLEAN     NOT NULL,
    created       TIMESTAMPTZ NOT NULL
);

CREATE INDEX users_org_created ON users (org_id, created, id);

CREATE TABLE api_keys (
    id           TEXT        NOT NULL PRIMARY KEY,
    org_id       TEXT        NOT NULL,
    name         TEXT        NOT NULL,
    enabled      BOOLEAN     NOT NULL,
    hash         TEXT        NOT NULL UNIQUE, -- of the key's value, which is not kept
    server_admin BOOLEAN     NOT NULL,
    created      TIMESTAMPTZ NOT NULL
);

CREATE INDEX api_keys_org_created ON api_keys (org_id, created, id);

CREATE TABLE refresh_tokens (
    hash    TEXT        NOT NULL PRIMARY KEY, -- of the token, which is not kept
    user_id TEXT        NOT NULL,
    org_id  TEXT        NOT NULL,
    expires TIMESTAMPTZ NOT NULL
);

CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires);

CREATE TABLE secrets (
    name    TEXT        NOT NULL PRIMARY KEY,
    value   BYTEA       NOT NULL,
    created TIMESTAMPTZ NOT NULL
);
