-- Search reads a common word's postings best first and stops as soon as no
-- unread article can reach the page (search/rank.rs), instead of scoring
-- every article holding the word. Each posting carries:
--   published_at: its article's (null while not published), so unpublished
--     articles are not even in the index below;
--   impact: the posting's BM25 term-frequency part, weight / (weight +
--     k1 (1 - b) + k1 b length / 400), with k1 = 1.2, b = 0.75 and a
--     reference length of 400 terms (search::REFERENCE_LENGTH). The exact
--     score at the index's current average length follows from it and the
--     weight; so does a bound on every posting below it in this order.
ALTER TABLE search_terms ADD COLUMN published_at BIGINT;
ALTER TABLE search_terms ADD COLUMN impact {{REAL}} NOT NULL DEFAULT 0;
UPDATE search_terms SET
    published_at = (SELECT d.published_at FROM search_docs d WHERE d.article_id = search_terms.article_id),
    impact = weight / (weight + 0.3 + 0.9 * (SELECT d.length FROM search_docs d WHERE d.article_id = search_terms.article_id) / 400.0);
CREATE INDEX search_terms_ranked ON search_terms (term, impact DESC, published_at DESC, article_id DESC)
    WHERE published_at IS NOT NULL;
