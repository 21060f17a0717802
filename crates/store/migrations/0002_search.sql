-- Full-text search over what a person remembers about a run: the prompt, the variables, the
-- result and the error. The row id is the run id.
CREATE VIRTUAL TABLE run_search USING fts5(prompt, variables, result, error, tokenize = 'unicode61');

-- Runs recorded before this migration.
INSERT INTO run_search (rowid, prompt, variables, result, error)
SELECT r.id,
       (SELECT group_concat(json_extract(part.value, '$.text'), ' ')
          FROM json_each(pv.messages) AS msg, json_each(msg.value, '$.content') AS part),
       (SELECT group_concat(kv.key || ': ' || kv.value, ' ')
          FROM json_each(r.spec, '$.context') AS kv),
       res.value,
       r.error_message
  FROM runs r
  JOIN prompt_versions pv ON pv.id = r.prompt_version_id
  LEFT JOIN results res ON res.run_id = r.id;
