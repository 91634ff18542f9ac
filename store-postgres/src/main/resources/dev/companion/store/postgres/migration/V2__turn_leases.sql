-- One running turn per conversation across every server on this database. A server claims the
-- conversation's row before it stores the user's message, renews expires_at while the reply streams
-- (every third of the lease), and deletes the row once the reply is stored. A row whose expires_at
-- has passed was left by a server that died: whichever server notices first (a send to that
-- conversation, or its periodic sweep) keeps that turn's reply_progress as an 'interrupted' item,
-- in the same transaction as it takes or deletes the row. Times are the database's own clock, so
-- the servers' clocks need not agree.
CREATE TABLE turn_leases (
    conversation_id text        PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    turn_id         text        NOT NULL,
    -- The server holding it (random per process), for an operator reading the table.
    node_id         text        NOT NULL,
    claimed_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at      timestamptz NOT NULL,
    -- Another server asked for this turn to be cancelled (NOTIFY companion_turns wakes the holder,
    -- which sees this when it renews at once).
    cancel_requested boolean    NOT NULL DEFAULT false
);

-- The sweep looks for expired leases.
CREATE INDEX turn_leases_expires_at ON turn_leases (expires_at);
