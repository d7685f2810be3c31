-- Parallel Lab run store: schema version 2 to 3.
-- A new span kind: a worker runnable but waiting for a CPU core, recorded
-- from the kernel's run delay.

INSERT OR REPLACE INTO span_kinds VALUES (11, 'core wait');
