-- Issue 12: bodies are rendered by a new renderer that carries the
-- editors' questions by paragraph and refuses bodies too deep to sanitize.
-- Bodies stored by the old one may hold HTML cut after sanitizing, so every
-- article is rendered again from its Markdown when the database is next
-- opened (`articles::render_older_bodies`; `anchored` = 0 means "render
-- this body again").
UPDATE articles SET anchored = 0;
