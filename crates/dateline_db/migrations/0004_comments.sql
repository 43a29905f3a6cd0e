-- Comments: threads under articles, readers' votes, moderation history and
-- bans. Addresses of commenters are kept only as keyed hashes and truncated
-- networks, never whole.

CREATE TABLE comments (
    id {{ID}},
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- The comment replied to; NULL for the first comment of a thread.
    parent_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    -- The first comment of the thread (its own id for a thread's start).
    thread_id BIGINT NOT NULL,
    depth BIGINT NOT NULL DEFAULT 0,
    -- Ids from the thread's start down to this comment, zero-padded, so that
    -- ordering by it lists a thread as it is read: each reply under its parent.
    path TEXT NOT NULL DEFAULT '',
    -- pending, approved, spam, trash
    status TEXT NOT NULL,
    -- Why a comment was held, in words, for the moderator.
    held_because TEXT NOT NULL DEFAULT '',
    author_name TEXT NOT NULL,
    -- Lower-cased; never shown on a reader page.
    author_email TEXT NOT NULL,
    author_url TEXT NOT NULL DEFAULT '',
    -- A newsroom account, when one signed in to write it.
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL,
    -- HMAC of the client address with the site's key, and its network
    -- (/24 or /48): enough to ban and to see a flood, not to find a person.
    ip_hash TEXT NOT NULL DEFAULT '',
    ip_prefix TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    -- SHA-256 of the secret in the writer's browser that lets them edit or
    -- delete it for a while.
    owner_hash TEXT NOT NULL DEFAULT '',
    upvotes BIGINT NOT NULL DEFAULT 0,
    downvotes BIGINT NOT NULL DEFAULT 0,
    -- upvotes - downvotes, kept for sorting by most voted.
    score BIGINT NOT NULL DEFAULT 0,
    -- Where in the article the comment is anchored (inline feedback); NULL
    -- for the comment section.
    anchor TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    edited_at BIGINT,
    -- Deleted by its writer while it had replies: kept as a placeholder.
    deleted_at BIGINT
);
CREATE INDEX comments_roots ON comments (article_id, status, parent_id, created_at, id);
-- With status, so that SQLite prefers it to comments_by_status when it
-- fetches the replies of a page's threads.
CREATE INDEX comments_by_thread ON comments (thread_id, status, path);
CREATE INDEX comments_by_status ON comments (status, created_at, id);
CREATE INDEX comments_by_email ON comments (author_email, created_at);
CREATE INDEX comments_by_ip ON comments (ip_hash, created_at);

-- One vote per reader per comment; the reader is a keyed hash, like ip_hash.
CREATE TABLE comment_votes (
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    voter TEXT NOT NULL,
    value BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (comment_id, voter)
);
-- A reader's recent votes, for the limit on voting.
CREATE INDEX comment_votes_by_voter ON comment_votes (voter, created_at);

-- What moderators did, for a comment's and a commenter's history.
CREATE TABLE comment_events (
    id {{ID}},
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX comment_events_by_comment ON comment_events (comment_id);

-- Addresses and networks that may not comment: kind is email or ip (the
-- keyed hash, as in comments.ip_hash).
CREATE TABLE comment_bans (
    id {{ID}},
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    -- What the moderator saw: the address, or the network of a banned IP.
    label TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (kind, value)
);

-- When mail about comments last went to an address, per purpose (a data
-- link, a subscription's confirmation), so one address cannot be flooded.
CREATE TABLE comment_mail_limits (
    email TEXT NOT NULL,
    purpose TEXT NOT NULL,
    last_sent_at BIGINT NOT NULL,
    PRIMARY KEY (email, purpose)
);

-- Comment counts and state kept on the article, changed in the
-- transactions that change its comments.
ALTER TABLE articles ADD COLUMN comment_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE articles ADD COLUMN inline_count BIGINT NOT NULL DEFAULT 0;
-- open (default: follows the site's rule on age) or closed.
ALTER TABLE articles ADD COLUMN comments_closed BIGINT NOT NULL DEFAULT 0;
-- The comments version at the article's last comment change; the refresh
-- loop of every process drops cached pages of articles whose comments moved.
ALTER TABLE articles ADD COLUMN comments_version BIGINT NOT NULL DEFAULT 0;
CREATE INDEX articles_by_comments_version ON articles (comments_version);
INSERT INTO site_state (key, value) VALUES ('comments_version', 0);
