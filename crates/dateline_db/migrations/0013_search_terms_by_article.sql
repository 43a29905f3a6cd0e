-- Ranking (search/rank.rs) looks up each article it meets for the query's
-- other terms: one probe by (article_id, term). Keyed (term, article_id),
-- the table left PostgreSQL reading every term of each such article through
-- the article index instead. With the article first in the key, that
-- index is the key's prefix and goes: one index fewer for every save.
CREATE TABLE search_terms_keyed (
    term TEXT NOT NULL,
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    weight {{REAL}} NOT NULL,
    published_at BIGINT,
    impact {{REAL}} NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, term)
);
INSERT INTO search_terms_keyed (term, article_id, weight, published_at, impact)
    SELECT term, article_id, weight, published_at, impact FROM search_terms;
DROP TABLE search_terms;
ALTER TABLE search_terms_keyed RENAME TO search_terms;
CREATE INDEX search_terms_ranked ON search_terms (term, impact DESC, published_at DESC, article_id DESC)
    WHERE published_at IS NOT NULL;
