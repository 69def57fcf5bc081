-- The conversation core's records. Nested models live in JSON `data` columns (the pydantic
-- Times used for ordering are stored as epoch seconds (REAL): ISO strings with mixed offsets sort wrong.
-- model's own JSON), with the columns queries filter or order on copied out beside them.

CREATE TABLE projects (
    id          TEXT PRIMARY KEY,
    chat_key    TEXT NOT NULL,
    owner_key   TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    created_at  REAL NOT NULL,
    data        TEXT NOT NULL
);

-- which project a chat (or thread) is talking about now
CREATE TABLE chat_projects (
    chat_key    TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE
);

CREATE TABLE members (
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    user_key    TEXT NOT NULL,
    joined_at  REAL NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (project_id, user_key)
);
CREATE INDEX members_by_user ON members(user_key);

CREATE TABLE media (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,  -- keeps "as sent" order
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    media_id    TEXT NOT NULL,
    removed     INTEGER NOT NULL DEFAULT 0,
    data        TEXT NOT NULL,
    UNIQUE (project_id, media_id)
);

CREATE TABLE versions (
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    number      INTEGER NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (project_id, number)
);

CREATE TABLE comments (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    created_at  REAL NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX comments_by_project ON comments(project_id, created_at);

CREATE TABLE votes (
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    ballot      TEXT NOT NULL,
    user_key    TEXT NOT NULL,
    created_at  REAL NOT NULL,
    data        TEXT NOT NULL,
    PRIMARY KEY (project_id, ballot, user_key)
);

CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    created_at  REAL NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX jobs_by_status ON jobs(status, created_at);
CREATE INDEX jobs_by_project ON jobs(project_id, created_at);

CREATE TABLE message_links (
    chat_key    TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    project_id  TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    data        TEXT NOT NULL,
    PRIMARY KEY (chat_key, message_id)
);

-- platform update ids already handled: a redelivered update is dropped
CREATE TABLE seen_events (
    event_key   TEXT PRIMARY KEY,
    seen_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
