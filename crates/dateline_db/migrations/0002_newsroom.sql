-- The newsroom: accounts, sessions, password resets, API tokens, uploaded
-- media, and who owns and who changed each article.

CREATE TABLE users (
    id {{ID}},
    -- Stored lower-cased; one account per address.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    -- An argon2id PHC string.
    password_hash TEXT NOT NULL,
    -- The byline this person writes under.
    author_id BIGINT REFERENCES authors (id) ON DELETE SET NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    disabled_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- A session is known by the hash of its cookie, never the cookie itself.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    -- Truncated (/24 or /48): enough to recognise a session, not a person.
    ip_prefix TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX password_resets_by_user ON password_resets (user_id, created_at);

CREATE TABLE api_tokens (
    id {{ID}},
    name TEXT NOT NULL,
    -- The first characters, so a token can be recognised in a list.
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- The token acts as this user, with this user's role.
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE media (
    id {{ID}},
    -- URL path of the largest stored width, e.g. /media/uploads/2026/11/7-river-1600.jpg
    path TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    -- JSON list of {"width": 480, "path": "..."}, narrowest first.
    variants TEXT NOT NULL,
    uploaded_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);

ALTER TABLE articles ADD COLUMN owner_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
-- Set the first time the article goes out; a contributor's draft that was
-- once published is no longer theirs to change.
ALTER TABLE articles ADD COLUMN first_published_at BIGINT;
ALTER TABLE article_revisions ADD COLUMN user_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX articles_by_owner ON articles (owner_id);

UPDATE articles SET first_published_at = published_at WHERE status IN ('published', 'archived');
