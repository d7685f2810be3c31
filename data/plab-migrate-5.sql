-- Parallel Lab run store: schema version 4 to 5.
-- Spans can move an item between lanes: a producer's span that put it on a
-- queue (flow 1) and the consumer's span that got it (flow 2), with the
-- item's id, so that the timeline draws an arrow from each put to its get.
-- Spans recorded before move nothing and keep NULL in both.

ALTER TABLE spans ADD COLUMN flow INTEGER;
ALTER TABLE spans ADD COLUMN item INTEGER;
