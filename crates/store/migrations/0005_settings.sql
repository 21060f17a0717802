-- App settings the workbench keeps (theme, …): one value per key, JSON text.
CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
