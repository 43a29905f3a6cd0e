-- Every start asks which articles still need their body rendered again
-- (`anchored` = 0, see 0009); on a large archive that was a scan of every
-- article at each start. Only the few waiting are in this index.
CREATE INDEX articles_to_render ON articles (id) WHERE anchored = 0;
