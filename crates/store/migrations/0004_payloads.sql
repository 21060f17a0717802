-- Large values stored once (see src/payload.rs). JSON columns (events.body, runs.spec,
-- results.value, prompt_versions.messages) and large texts (attempts.raw and error, schema
-- bodies) hold a marker "\u0000qp:s:<sha256>" (a string) or "\u0000qp:j:<sha256>" (JSON) in place
-- of each large part; the part is a payload: a list of content-defined chunks, each stored once.

CREATE TABLE chunks (
    id    INTEGER PRIMARY KEY,
    -- SHA-256 of the chunk's bytes.
    hash  BLOB NOT NULL UNIQUE,
    -- 1: data is zstd-compressed; 0: stored as it is (compression saved less than 10%).
    zstd  INTEGER NOT NULL,
    data  BLOB NOT NULL
);

CREATE TABLE payloads (
    id      INTEGER PRIMARY KEY,
    -- SHA-256 of the payload's bytes: the marker names it in hex.
    hash    BLOB NOT NULL UNIQUE,
    size    INTEGER NOT NULL,
    -- The ids of its chunks in order, 8 bytes each, little-endian.
    chunks  BLOB NOT NULL
);

-- The event log becomes an ordinary rowid table: its rows are of every size, and a table
-- without rowid keeps a row of more than about 1 KB on an overflow page of its own, mostly
-- empty. Bodies are JSON text, or that text zstd-compressed as a BLOB.
CREATE TABLE events_v4 (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    type    TEXT NOT NULL,
    t_ms    REAL NOT NULL,
    body    BLOB NOT NULL,
    UNIQUE (run_id, seq)
);
INSERT INTO events_v4 (run_id, seq, type, t_ms, body)
SELECT run_id, seq, type, t_ms, body FROM events ORDER BY run_id, seq;
DROP TABLE events;
ALTER TABLE events_v4 RENAME TO events;
