-- Companion's conversations and transcripts. Applied once per database by
-- PostgresConversationCatalog.migrate(); Flyway records it in companion_schema_history.

-- One row per conversation. item_count is the next sequence to hand out: an append increments it in
-- the same statement that inserts the item, so the row lock on the conversation orders concurrent
-- appends from every server on this database, and a rolled-back append leaves no gap.
-- A deleted conversation is deleted (its items and progress go with it, by cascade): the catalogue
-- promises an id created again after a delete starts empty, so there is no "deleted" flag.
CREATE TABLE conversations (
    id              text        PRIMARY KEY,
    title           text,
    created_at      timestamptz NOT NULL,
    -- Java's Instant carries nanoseconds and timestamptz keeps microseconds: the 0-999 nanoseconds
    -- below created_at's microsecond are kept here, so an Instant reads back exactly as written.
    created_at_nanos integer    NOT NULL DEFAULT 0 CHECK (created_at_nanos BETWEEN 0 AND 999),
    item_count      bigint      NOT NULL DEFAULT 0 CHECK (item_count >= 0)
);

-- The append-only transcript items. The primary key is the index every page reads: a page that
-- starts at item 1,000,000 is a range scan from (conversation_id, 1000000), never an OFFSET.
CREATE TABLE items (
    conversation_id  text        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    sequence         bigint      NOT NULL CHECK (sequence >= 0),
    role             text        NOT NULL CHECK (role IN ('user', 'assistant')),
    content          text        NOT NULL,
    created_at       timestamptz NOT NULL,
    created_at_nanos integer     NOT NULL DEFAULT 0 CHECK (created_at_nanos BETWEEN 0 AND 999),
    -- Where the words came from: http, cli, java for a user item; the provider kind for a reply.
    source           text        NOT NULL,
    -- An ItemStatus wire name (accepted, completed, ..., superseded). No CHECK: a later release may
    -- add a status without a migration.
    status           text        NOT NULL,
    turn_id          text        NOT NULL,
    -- What a reply keeps beside its words (ReplyDetails); empty or null for user items.
    reasoning        text        NOT NULL DEFAULT '',
    -- How long the model reasoned, in nanoseconds as Java measured it; null when it did not reason.
    reasoning_nanos  bigint,
    -- The provider's token counts; all three null when it reported none.
    input_tokens     bigint,
    output_tokens    bigint,
    reasoning_tokens bigint,
    -- The diagnostics that explain how a reply ended: [{"code", "severity", "message"}], in order;
    -- null when there are none (most items).
    diagnostics      jsonb,
    PRIMARY KEY (conversation_id, sequence),
    CHECK ((input_tokens IS NULL) = (output_tokens IS NULL)
           AND (input_tokens IS NULL) = (reasoning_tokens IS NULL))
);

-- The text of replies still streaming, so a reply cut short when its server dies is not lost: the
-- next catalogue to open the conversation appends it as an 'interrupted' item and deletes these rows;
-- appending the reply itself deletes them too. Written in chunks (a few a second), each keyed by the
-- character offset in the reply where it starts, so a long reply never rewrites what it wrote.
CREATE TABLE reply_progress (
    conversation_id text        NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    turn_id         text        NOT NULL,
    position        bigint      NOT NULL CHECK (position >= 0),
    text            text        NOT NULL,
    written_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, turn_id, position)
);
