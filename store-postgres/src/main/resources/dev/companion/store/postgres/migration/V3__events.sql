-- The events of every server on this database, so a reader on any server follows a turn running on
-- another, and resumes by an id that means the same on each. A server appends the events of the
-- turns it runs and NOTIFYs channel companion_events; every server LISTENs on one connection of its
-- own and, when woken, reads the rows after the last id it has.
--
-- The id comes from the one row of event_counter, taken in the statement that inserts the event: the
-- row's lock makes events commit in id order, with no gap, so a reader that has seen id N and finds
-- N+2 committed knows N+1 is committed too (a bigserial hands out ids in one order and commits them in
-- another, and a reader would skip an id committed late).
CREATE TABLE event_counter (
    single  boolean PRIMARY KEY DEFAULT true CHECK (single),
    last_id bigint  NOT NULL CHECK (last_id >= 0)
);
INSERT INTO event_counter (single, last_id) VALUES (true, 0);

-- A recent window only (the servers trim it by count and age): the transcript is what lasts; a reader
-- asking for an id no longer here is told to reload (reset). No foreign key to conversations: the
-- event that says a conversation was deleted outlives it.
CREATE TABLE events (
    id              bigint      PRIMARY KEY,
    conversation_id text        NOT NULL,
    -- The event's wire name (text_delta, turn_completed, ...).
    name            text        NOT NULL,
    -- The event as the runtime encodes it (fields, each its length, ':' and its text).
    payload         text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX events_created_at ON events (created_at);
