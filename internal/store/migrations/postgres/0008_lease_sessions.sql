-- Leases: a row per name that one server at a time holds until it expires.
-- Until cluster mode exists the one lease, "server", keeps a second server on
-- the same store from running its channels. The holder renews it every few
-- seconds; another server takes it once expires has passed, or at once when the
-- holder released it (deleted the row).
CREATE TABLE leases (
    name      TEXT        NOT NULL PRIMARY KEY,
    holder    TEXT        NOT NULL, -- the holding server's id, new at each start
    http_addr TEXT        NOT NULL, -- what a person needs to find the holder
    rtmp_addr TEXT        NOT NULL,
    host      TEXT        NOT NULL,
    pid       INTEGER     NOT NULL,
    acquired  TIMESTAMPTZ NOT NULL,
    renewed   TIMESTAMPTZ NOT NULL,
    expires   TIMESTAMPTZ NOT NULL
);

-- Sessions: a user's idTokens and refresh tokens carry the user's token
-- generation when they were issued. A password change or disabling the user
-- moves it on, which ends every earlier token of that user at once; removing
-- the user ends them too, since a token of no user is refused.
ALTER TABLE users ADD COLUMN token_generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refresh_tokens ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
CREATE INDEX refresh_tokens_user ON refresh_tokens (org_id, user_id);
