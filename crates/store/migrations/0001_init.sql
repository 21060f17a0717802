-- Quarry's run history. Every RunEvent is kept (events); runs, attempts and results are
-- summaries derived from them as they arrive.

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- Schemas and prompts are versioned: a save adds a version, nothing is overwritten.
CREATE TABLE schemas (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE schema_versions (
    id          INTEGER PRIMARY KEY,
    schema_id   INTEGER NOT NULL REFERENCES schemas(id),
    version     INTEGER NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (schema_id, version)
);

CREATE TABLE prompts (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE prompt_versions (
    id          INTEGER PRIMARY KEY,
    prompt_id   INTEGER NOT NULL REFERENCES prompts(id),
    version     INTEGER NOT NULL,
    -- The messages as templates, a JSON array of quarry_engine::Message.
    messages    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (prompt_id, version)
);

-- Provider, model, mode and parameters. Never a key.
CREATE TABLE profiles (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    name        TEXT NOT NULL,
    provider    TEXT NOT NULL,
    model       TEXT NOT NULL,
    mode        TEXT,
    base_url    TEXT,
    params      TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE runs (
    id                 INTEGER PRIMARY KEY,
    project_id         INTEGER NOT NULL REFERENCES projects(id),
    schema_version_id  INTEGER NOT NULL REFERENCES schema_versions(id),
    prompt_version_id  INTEGER NOT NULL REFERENCES prompt_versions(id),
    profile_id         INTEGER REFERENCES profiles(id),
    provider           TEXT NOT NULL,
    model              TEXT NOT NULL,
    mode               TEXT,
    -- The exact request (quarry_engine::ExtractRequest as JSON: variables included, no key).
    spec               TEXT NOT NULL,
    stream             TEXT,
    status             TEXT NOT NULL CHECK (status IN
                           ('running', 'succeeded', 'failed', 'cancelled', 'interrupted')),
    -- The process writing this run, to tell a live run from one whose writer died.
    owner_pid          INTEGER,
    owner_start        INTEGER,
    created_at         TEXT NOT NULL,
    finished_at        TEXT,
    latency_ms         REAL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    prompt_tokens      INTEGER NOT NULL DEFAULT 0,
    completion_tokens  INTEGER NOT NULL DEFAULT 0,
    total_tokens       INTEGER NOT NULL DEFAULT 0,
    cached_tokens      INTEGER,
    reasoning_tokens   INTEGER,
    error_code         TEXT,
    error_message      TEXT
);
CREATE INDEX runs_by_status ON runs (status);
CREATE INDEX runs_by_created ON runs (created_at);

CREATE TABLE attempts (
    run_id             INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    number             INTEGER NOT NULL,
    latency_ms         REAL,
    prompt_tokens      INTEGER NOT NULL DEFAULT 0,
    completion_tokens  INTEGER NOT NULL DEFAULT 0,
    total_tokens       INTEGER NOT NULL DEFAULT 0,
    error              TEXT,
    raw                TEXT,
    PRIMARY KEY (run_id, number)
) WITHOUT ROWID;

-- The append-only event log: every RunEvent, in order.
CREATE TABLE events (
    run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    type    TEXT NOT NULL,
    t_ms    REAL NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE results (
    run_id  INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    value   TEXT NOT NULL
);
