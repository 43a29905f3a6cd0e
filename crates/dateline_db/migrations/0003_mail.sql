-- Mail: the outbox every message goes through, newsletter subscribers, sends
-- (one per newsletter or digest), suppressions and delivery events.

CREATE TABLE subscribers (
    id {{ID}},
    -- Lower-cased; one row per address, ever (re-subscribing reuses it).
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    -- pending (not yet confirmed), confirmed, unsubscribed, bounced, complained
    status TEXT NOT NULL,
    -- each (every article), daily or weekly (digests)
    frequency TEXT NOT NULL DEFAULT 'each',
    -- JSON list of section slugs; empty means all
    sections TEXT NOT NULL DEFAULT '[]',
    source TEXT NOT NULL DEFAULT 'form',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    unsubscribed_at BIGINT,
    -- The last time a confirmation (or "already subscribed") mail went out,
    -- so one address cannot be flooded.
    last_confirmation_at BIGINT
);
CREATE INDEX subscribers_by_status ON subscribers (status, frequency, id);

-- One newsletter going to many subscribers: an article, or a digest.
CREATE TABLE newsletter_sends (
    id {{ID}},
    -- article or digest
    kind TEXT NOT NULL,
    article_id BIGINT REFERENCES articles (id) ON DELETE SET NULL,
    -- For digests: JSON list of article ids, and the period, e.g. daily:2026-11-24
    articles TEXT NOT NULL DEFAULT '[]',
    period TEXT UNIQUE,
    subject TEXT NOT NULL,
    -- sending, paused, cancelled, done
    status TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    -- Counters kept in the transactions that change the messages.
    queued BIGINT NOT NULL DEFAULT 0,
    sent BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    bounced BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0
);

-- The outbox. A transactional message (confirmation, reset link, ...)
-- carries its rendered content; a newsletter message carries only who it is
-- for, and is rendered from its send when delivered.
CREATE TABLE mail_messages (
    id {{ID}},
    kind TEXT NOT NULL,
    send_id BIGINT REFERENCES newsletter_sends (id) ON DELETE CASCADE,
    subscriber_id BIGINT REFERENCES subscribers (id) ON DELETE CASCADE,
    to_address TEXT NOT NULL,
    to_name TEXT NOT NULL DEFAULT '',
    subject TEXT,
    text_body TEXT,
    html_body TEXT,
    -- queued, sending, sent, failed, bounced, skipped, cancelled
    status TEXT NOT NULL,
    -- Lower goes first: people waiting for a link before newsletters.
    priority BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- While a worker holds the message; a crashed worker's lease runs out.
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX mail_messages_due ON mail_messages (status, priority, next_attempt_at, id);
CREATE INDEX mail_messages_by_send ON mail_messages (send_id, status);
CREATE INDEX mail_messages_by_subscriber ON mail_messages (subscriber_id);

-- Addresses nothing more is sent to: hard bounces, complaints, by hand.
CREATE TABLE mail_suppressions (
    email TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

-- What the mail provider reported, for the record.
CREATE TABLE mail_events (
    id {{ID}},
    email TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX mail_events_by_email ON mail_events (email);

-- Articles to mail to subscribers when they go out.
ALTER TABLE articles ADD COLUMN newsletter BIGINT NOT NULL DEFAULT 0;
