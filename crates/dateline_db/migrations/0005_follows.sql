-- "Notify of": readers who follow an article's comments, and the
-- notifications each new approved comment makes.

-- An address that asked for comment notifications; it confirms once, for
-- every article it follows then and later.
CREATE TABLE comment_followers (
    id {{ID}},
    -- Lower-cased.
    email TEXT NOT NULL UNIQUE,
    confirmed_at BIGINT,
    -- Every notification stopped, from a link in one of them.
    stopped_at BIGINT,
    created_at BIGINT NOT NULL
);

-- What a follower follows on an article: all new comments (all), replies to
-- any of their own comments there (replies), or replies below one comment
-- (comment, with comment_id; 0 otherwise).
CREATE TABLE comment_follows (
    id {{ID}},
    follower_id BIGINT NOT NULL REFERENCES comment_followers (id) ON DELETE CASCADE,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    comment_id BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (follower_id, article_id, kind, comment_id)
);
CREATE INDEX comment_follows_by_article ON comment_follows (article_id, kind);

-- 1 while an approved comment's notifications are still to be made; a
-- comment notifies once, when it is first approved.
ALTER TABLE comments ADD COLUMN notify_due BIGINT NOT NULL DEFAULT 0;
ALTER TABLE comments ADD COLUMN notified_at BIGINT;
CREATE INDEX comments_notify_due ON comments (notify_due);

-- A notification names its comment and the follow it is for (whose
-- unsubscribe link it carries); it is rendered when delivered.
ALTER TABLE mail_messages ADD COLUMN comment_id BIGINT REFERENCES comments (id) ON DELETE CASCADE;
ALTER TABLE mail_messages ADD COLUMN follow_id BIGINT REFERENCES comment_follows (id) ON DELETE CASCADE;
