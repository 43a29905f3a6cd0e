-- Publishing: articles, the people and sections around them, revisions,
-- redirects and the search index.
--
-- Written once for both databases. {{ID}} and {{REAL}} are replaced per
-- dialect when migrations run (see src/migrate.rs); everything else here is SQL
-- that SQLite and PostgreSQL read alike. Times are Unix seconds (BIGINT).

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Counters every process reads: content_version grows with each change that
-- can alter a public page, so page caches in any process know to start over.
CREATE TABLE site_state (
    key TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO site_state (key, value) VALUES ('content_version', 1);

CREATE TABLE authors (
    id {{ID}},
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sections (
    id {{ID}},
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE tags (
    id {{ID}},
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);

CREATE TABLE articles (
    id {{ID}},
    slug TEXT NOT NULL UNIQUE,
    headline TEXT NOT NULL,
    deck TEXT NOT NULL DEFAULT '',
    excerpt TEXT NOT NULL DEFAULT '',
    dateline TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL,
    direction TEXT NOT NULL,
    section_id BIGINT REFERENCES sections (id) ON DELETE SET NULL,
    status TEXT NOT NULL,
    published_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    image_url TEXT NOT NULL DEFAULT '',
    image_alt TEXT NOT NULL DEFAULT '',
    image_caption TEXT NOT NULL DEFAULT '',
    image_credit TEXT NOT NULL DEFAULT '',
    original_outlet TEXT NOT NULL DEFAULT '',
    original_url TEXT NOT NULL DEFAULT '',
    original_language TEXT NOT NULL DEFAULT '',
    -- Articles that are translations of one report share a group: the id of
    -- the first of them.
    translation_group BIGINT,
    -- Grows with every save; an editor's save names the revision it started
    -- from, so a concurrent edit is detected instead of overwritten.
    revision BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX articles_by_status_time ON articles (status, published_at, id);
CREATE INDEX articles_by_section ON articles (section_id, status, published_at);
CREATE INDEX articles_by_group ON articles (translation_group);
CREATE INDEX articles_by_language ON articles (status, language);

-- Bodies live apart, so that lists, counts and search statistics scan narrow
-- rows; only an article's own page and the feeds read them.
CREATE TABLE article_bodies (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL
);

CREATE TABLE article_authors (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    author_id BIGINT NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX article_authors_by_author ON article_authors (author_id, article_id);

CREATE TABLE article_tags (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    PRIMARY KEY (article_id, tag_id)
);
CREATE INDEX article_tags_by_tag ON article_tags (tag_id, article_id);

CREATE TABLE article_translators (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (article_id, position)
);

-- Every save keeps the whole draft as JSON, so any earlier version can be
-- shown, compared and restored.
CREATE TABLE article_revisions (
    id {{ID}},
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    draft TEXT NOT NULL,
    UNIQUE (article_id, revision)
);

-- A slug an article had before: its old permalink answers 301.
CREATE TABLE slug_redirects (
    old_slug TEXT PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE
);

-- The search index: terms made in Rust (dateline_core::search_text) so both
-- databases rank alike. weight sums the term's occurrences, headline and deck
-- counting more than the body. published_at is set only while the article is
-- published, so a search never has to look at the articles table.
CREATE TABLE search_docs (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    length BIGINT NOT NULL,
    published_at BIGINT
);
CREATE INDEX search_docs_published ON search_docs (published_at);
CREATE TABLE search_terms (
    term TEXT NOT NULL,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    weight {{REAL}} NOT NULL,
    PRIMARY KEY (term, article_id)
);
CREATE INDEX search_terms_by_article ON search_terms (article_id);
