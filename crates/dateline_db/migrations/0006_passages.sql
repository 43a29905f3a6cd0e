-- Inline feedback: the paragraphs of each article that readers comment on,
-- under anchors that outlive edits, and the editors' questions on them.

-- One row per anchor an article ever had. A paragraph changed by an edit
-- keeps its anchor when it can be matched (dateline_core::passage); one
-- removed keeps its row, with the words it had, so that comments on it can
-- be shown as on an earlier version.
CREATE TABLE article_passages (
    article_id BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    -- The paragraph's id in the page: p1, p2, … never reused in an article.
    anchor TEXT NOT NULL,
    -- Its place in the current body, from 0; NULL once removed.
    position BIGINT,
    -- Its words without markup, as last saved.
    text TEXT NOT NULL,
    -- The editors' question about it ('' for none).
    question TEXT NOT NULL DEFAULT '',
    removed_at BIGINT,
    PRIMARY KEY (article_id, anchor)
);

-- 1 once an article's paragraphs have anchors (articles saved before this
-- migration get theirs when the database is next opened).
ALTER TABLE articles ADD COLUMN anchored BIGINT NOT NULL DEFAULT 0;

-- Inline comments per passage, for the markers' counts and the filter.
CREATE INDEX comments_by_anchor ON comments (article_id, anchor, status);
