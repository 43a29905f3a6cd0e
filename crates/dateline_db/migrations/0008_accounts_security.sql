-- Newsroom accounts made harder to attack: two-factor sign-in (TOTP, RFC 6238) with recovery
-- codes, and an audit log of what changed who can do what, or what the
-- public sees.

-- Attempts per client address are counted in `attempt_counts` (0007).

-- The shared secret (base32), once confirmed with a first code; the one
-- being set up until then. The last time step whose code was accepted, so a
-- code is never accepted twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at BIGINT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- Single-use codes for when the phone is lost: SHA-256 of each (they are
-- 80 random bits, shown once).
CREATE TABLE recovery_codes (
    id {{ID}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);

-- A password accepted, the code still to come: known by the hash of a
-- cookie, short-lived, with its own count of attempts.
CREATE TABLE sign_in_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    next_path TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sign_in_challenges_by_expiry ON sign_in_challenges (expires_at);

-- Who did what in the newsroom. Written in the transaction of the change
-- itself; never updated or deleted. No foreign keys: an entry outlives its
-- actor and its object, and keeps their names as they were.
CREATE TABLE audit_log (
    id {{ID}},
    at BIGINT NOT NULL,
    -- user (a session), token (the admin API), cli, system (the server
    -- itself, e.g. a scheduled article going out) or visitor (not signed in).
    actor_kind TEXT NOT NULL,
    actor_id BIGINT,
    actor_name TEXT NOT NULL,
    token_id BIGINT,
    -- The client's address as the site's keyed hash ('' for the CLI).
    client TEXT NOT NULL DEFAULT '',
    -- e.g. sign_in.failed, user.role_changed, article.published.
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id BIGINT,
    summary TEXT NOT NULL
);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_by_action ON audit_log (action, id);
CREATE INDEX audit_log_by_object ON audit_log (object_type, object_id, id);
