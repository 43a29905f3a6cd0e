-- Limits counted in the database, so they hold across processes and under
-- parallel requests, and what a reader has proved.

-- Attempts at something limited (a request that mails a reader's address,
-- a comment sent with one form token), per key, in a fixed window: one
-- upsert counts an attempt and says how many there were, atomically.
CREATE TABLE attempt_counts (
    scope TEXT NOT NULL,
    -- A keyed hash (a client's network, a form token); never the thing itself.
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    -- When the row may be forgotten.
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX attempt_counts_expiry ON attempt_counts (expires_at);

-- Each follow is confirmed on its own: asking for notifications proves
-- nothing about who owns the address, so a follow starts only once a link
-- mailed to the address (or a browser that confirmed one) says so. Follows
-- of addresses that confirmed and did not stop everything stay on.
ALTER TABLE comment_follows ADD COLUMN confirmed_at BIGINT;
UPDATE comment_follows SET confirmed_at = (
    SELECT fo.confirmed_at FROM comment_followers fo
    WHERE fo.id = comment_follows.follower_id AND fo.stopped_at IS NULL
);

-- A browser (by the hash of its commenter secret) that proved it reads an
-- address's mail: it confirmed a follow from a link mailed there. Its
-- later follows of that address start at once, and its comments with that
-- address count as the address's for the "first comment" rule.
CREATE TABLE proven_addresses (
    owner_hash TEXT NOT NULL,
    email TEXT NOT NULL,
    proven_at BIGINT NOT NULL,
    PRIMARY KEY (owner_hash, email)
);
CREATE INDEX proven_addresses_by_email ON proven_addresses (email);
