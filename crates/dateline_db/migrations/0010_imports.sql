-- Issue 13: moving in from WordPress.

-- What an import brought in from another system: each source item's
-- Dateline row and a digest of what was imported, so that importing the
-- same file again changes nothing and a newer export changes only what
-- changed. `revision` is the article revision the import wrote: a higher
-- one was made in Dateline since, and is not overwritten unless asked.
CREATE TABLE imported_items (
    -- The exported site's address (WordPress's base_blog_url).
    source TEXT NOT NULL,
    -- post, comment
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    digest TEXT NOT NULL DEFAULT '',
    revision BIGINT NOT NULL DEFAULT 0,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (source, kind, source_id)
);
CREATE INDEX imported_items_by_target ON imported_items (kind, target_id);

-- Addresses the old site answered, each sent on with a 301 to what it
-- became. `path` is percent-decoded, without a trailing slash (`/2024/03/04/
-- wells-run-dry`), or a query form (`/?p=10`). An article is named by its
-- id (so the redirect follows later slug changes); anything else by the
-- Dateline path it went to.
CREATE TABLE legacy_paths (
    path TEXT PRIMARY KEY,
    article_id BIGINT REFERENCES articles (id) ON DELETE CASCADE,
    target TEXT NOT NULL DEFAULT ''
);

-- The id feeds gave an imported item (WordPress's GUID), kept so that feed
-- readers do not show the archive again as new; empty for Dateline's own.
ALTER TABLE articles ADD COLUMN feed_guid TEXT NOT NULL DEFAULT '';
-- Kept at the top of the front page (WordPress's sticky posts).
ALTER TABLE articles ADD COLUMN pinned BIGINT NOT NULL DEFAULT 0;
-- report, or page (About, Contact: at the root, in the sitemap and, when
-- chosen, the navigation; never in lists, feeds, archives or mail).
ALTER TABLE articles ADD COLUMN kind TEXT NOT NULL DEFAULT 'report';
ALTER TABLE articles ADD COLUMN in_navigation BIGINT NOT NULL DEFAULT 0;

-- Pingbacks and trackbacks: other sites that linked to a report. Not
-- readers' comments, so kept apart from threads and counts; shown under the
-- report as mentions when approved.
CREATE TABLE mentions (
    id {{ID}},
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- pingback or trackback
    kind TEXT NOT NULL,
    -- approved, pending, spam, trash (as comments)
    status TEXT NOT NULL,
    source_name TEXT NOT NULL,
    source_url TEXT NOT NULL,
    -- Plain text quoted from the linking page.
    excerpt TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX mentions_by_article ON mentions (article_id, status, created_at);
