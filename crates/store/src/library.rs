//! Saved schemas, prompts and provider profiles. Schemas and prompts are versioned: a save with
//! new text adds a version, the same text keeps the latest; any two versions can be compared.
//! Profiles hold provider, model, mode, base URL and parameters — never a key.

use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::Store;
use crate::diff::{Difference, diff};
use crate::error::StoreError;
use crate::payload::{Payloads, load_json_text, load_text};
use crate::runs::Body;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Version {
    pub version: i64,
    /// The schema JSON text, or the prompt's messages as JSON text.
    pub body: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Named {
    pub name: String,
    pub latest: i64,
    pub updated_at: String,
}

/// A provider profile: what to call and how, never a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Profile {
    pub name: String,
    pub provider: String,
    pub model: String,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    /// Sampling settings and extra body fields.
    #[serde(default)]
    pub params: Value,
}

/// Schemas (`schemas`/`schema_versions`/`body`) or prompts (`prompts`/`prompt_versions`/`messages`).
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Schema,
    Prompt,
}

impl Kind {
    fn tables(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Kind::Schema => ("schemas", "schema_versions", "schema_id", "body"),
            Kind::Prompt => ("prompts", "prompt_versions", "prompt_id", "messages"),
        }
    }
}

const PROJECT: &str = "default";

/// The default project's id, created if missing.
fn project(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    tx.execute(
        "INSERT OR IGNORE INTO projects (name, created_at)
         VALUES (?1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
        [PROJECT],
    )?;
    Ok(
        tx.query_row("SELECT id FROM projects WHERE name = ?1", [PROJECT], |r| {
            r.get(0)
        })?,
    )
}

impl Store {
    /// Saves `body` as the newest version of `name`; returns its version number.
    pub fn save_version(&mut self, kind: Kind, name: &str, body: &str) -> Result<i64, StoreError> {
        if let Kind::Schema = kind {
            quarry_engine::ResponseSchema::from_json_str(body)
                .map_err(|e| StoreError::Invalid(format!("schema `{name}`: {e}")))?;
        } else {
            serde_json::from_str::<Vec<quarry_engine::Message>>(body).map_err(|e| {
                StoreError::Invalid(format!("prompt `{name}`: not a list of messages ({e})"))
            })?;
        }
        let (parents, versions, parent_col, col) = kind.tables();
        self.writing(|tx| {
            let payloads = Payloads::new(tx);
            let stored = match kind {
                Kind::Schema => payloads.text(body)?,
                Kind::Prompt => payloads.json_text(body.to_string())?,
            };
            let project = project(tx)?;
            let parent = crate::runs::named(tx, parents, project, name)?;
            let body = Body {
                stored: &stored,
                original: body,
            };
            let id = crate::runs::version(tx, versions, parent_col, col, parent, body)?;
            Ok(tx.query_row(
                &format!("SELECT version FROM {versions} WHERE id = ?1"),
                [id],
                |r| r.get(0),
            )?)
        })
    }

    /// Every saved schema or prompt with its latest version, by name.
    pub fn list_named(&self, kind: Kind) -> Result<Vec<Named>, StoreError> {
        let (parents, versions, parent_col, _) = kind.tables();
        let rows = self
            .conn
            .prepare(&format!(
                "SELECT p.name, MAX(v.version), MAX(v.created_at) FROM {parents} p
                 JOIN {versions} v ON v.{parent_col} = p.id GROUP BY p.id ORDER BY p.name"
            ))?
            .query_map([], |r| {
                Ok(Named {
                    name: r.get(0)?,
                    latest: r.get(1)?,
                    updated_at: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The versions of `name`, oldest first.
    pub fn versions(&self, kind: Kind, name: &str) -> Result<Vec<Version>, StoreError> {
        let (parents, versions, parent_col, col) = kind.tables();
        let rows = self
            .conn
            .prepare(&format!(
                "SELECT v.version, v.{col}, v.created_at FROM {versions} v
                 JOIN {parents} p ON p.id = v.{parent_col} WHERE p.name = ?1 ORDER BY v.version"
            ))?
            .query_and_then([name], |r| {
                let stored: String = r.get(1)?;
                let body = match kind {
                    Kind::Schema => load_text(&self.conn, stored)?,
                    Kind::Prompt => load_json_text(&self.conn, stored)?,
                };
                Ok(Version {
                    version: r.get(0)?,
                    body,
                    created_at: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, StoreError>>()?;
        if rows.is_empty() {
            return Err(StoreError::NotFound(
                format!("no saved {kind:?} named `{name}`").to_lowercase(),
            ));
        }
        Ok(rows)
    }

    /// What changed between two versions of `name`, field by field.
    pub fn diff_versions(
        &self,
        kind: Kind,
        name: &str,
        a: i64,
        b: i64,
    ) -> Result<Vec<Difference>, StoreError> {
        let all = self.versions(kind, name)?;
        let get = |v: i64| {
            all.iter()
                .find(|x| x.version == v)
                .ok_or_else(|| StoreError::NotFound(format!("`{name}` has no version {v}")))
                .and_then(|x| Ok(serde_json::from_str::<Value>(&x.body)?))
        };
        Ok(diff(&get(a)?, &get(b)?))
    }

    /// Creates or replaces the profile `profile.name`.
    pub fn save_profile(&mut self, profile: &Profile) -> Result<(), StoreError> {
        self.writing(|tx| {
            let project = project(tx)?;
            tx.execute(
            "INSERT INTO profiles (project_id, name, provider, model, mode, base_url, params, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
             ON CONFLICT (project_id, name) DO UPDATE SET provider = ?3, model = ?4, mode = ?5,
                 base_url = ?6, params = ?7",
            params![
                project,
                profile.name,
                profile.provider,
                profile.model,
                profile.mode,
                profile.base_url,
                serde_json::to_string(&profile.params)?
            ],
        )?;
            Ok(())
        })
    }

    pub fn profiles(&self) -> Result<Vec<Profile>, StoreError> {
        let rows = self
            .conn
            .prepare(
                "SELECT name, provider, model, mode, base_url, params FROM profiles ORDER BY name",
            )?
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .map(|row| {
                let (name, provider, model, mode, base_url, params) = row?;
                Ok(Profile {
                    name,
                    provider,
                    model,
                    mode,
                    base_url,
                    params: serde_json::from_str(&params)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(rows)
    }

    /// Removes a profile; false when there was none. Runs keep their own copy of the request.
    pub fn delete_profile(&mut self, name: &str) -> Result<bool, StoreError> {
        self.writing(|tx| {
            tx.execute(
                "UPDATE runs SET profile_id = NULL
                 WHERE profile_id = (SELECT id FROM profiles WHERE name = ?1)",
                [name],
            )?;
            Ok(tx.execute("DELETE FROM profiles WHERE name = ?1", [name])? > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S1: &str = r#"{"title": "P", "type": "object", "properties": {"a": {"type": "string"}}}"#;
    const S2: &str = r#"{"title": "P", "type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}"#;

    #[test]
    fn saving_versions_and_diffing_them() {
        let mut s = Store::open_in_memory().unwrap();
        assert_eq!(s.save_version(Kind::Schema, "person", S1).unwrap(), 1);
        assert_eq!(
            s.save_version(Kind::Schema, "person", S1).unwrap(),
            1,
            "same text, same version"
        );
        assert_eq!(s.save_version(Kind::Schema, "person", S2).unwrap(), 2);
        let list = s.list_named(Kind::Schema).unwrap();
        assert_eq!((list[0].name.as_str(), list[0].latest), ("person", 2));
        assert_eq!(s.versions(Kind::Schema, "person").unwrap().len(), 2);
        let d = s.diff_versions(Kind::Schema, "person", 1, 2).unwrap();
        let paths: Vec<&str> = d.iter().map(|x| x.path.as_str()).collect();
        assert_eq!(paths, ["/properties/a/type", "/properties/b"]);
        assert!(
            s.save_version(Kind::Schema, "bad", "[1]")
                .unwrap_err()
                .to_string()
                .contains("must be a JSON object")
        );
        assert!(s.versions(Kind::Schema, "nobody").is_err());
        assert!(
            s.diff_versions(Kind::Schema, "person", 1, 9)
                .unwrap_err()
                .to_string()
                .contains("no version 9")
        );
    }

    #[test]
    fn prompts_are_message_lists() {
        let mut s = Store::open_in_memory().unwrap();
        let msgs =
            serde_json::to_string(&[quarry_engine::Message::user("Extract {{ doc }}")]).unwrap();
        assert_eq!(s.save_version(Kind::Prompt, "extract", &msgs).unwrap(), 1);
        assert!(s.save_version(Kind::Prompt, "x", "\"hi\"").is_err());
    }

    #[test]
    fn a_prompt_with_an_image_is_stored_once_and_reads_back_as_saved() {
        let mut s = Store::open_in_memory().unwrap();
        let image = format!("data:image/png;base64,{}", "iVBO".repeat(50_000));
        let msgs = serde_json::to_string(&[
            quarry_engine::Message::user("Describe {{ it }}").with_image(image)
        ])
        .unwrap();
        assert_eq!(s.save_version(Kind::Prompt, "look", &msgs).unwrap(), 1);
        assert_eq!(s.save_version(Kind::Prompt, "look", &msgs).unwrap(), 1);
        assert_eq!(s.versions(Kind::Prompt, "look").unwrap()[0].body, msgs);
        let stored = s
            .query_i64("SELECT MAX(length(messages)) FROM prompt_versions")
            .unwrap();
        assert!(stored < 300, "{stored} bytes in the row");
    }

    #[test]
    fn profiles_never_hold_a_key() {
        let mut s = Store::open_in_memory().unwrap();
        let p = Profile {
            name: "fast".into(),
            provider: "groq".into(),
            model: "llama-3.1-8b-instant".into(),
            mode: Some("tools".into()),
            base_url: None,
            params: serde_json::json!({"temperature": 0}),
        };
        s.save_profile(&p).unwrap();
        s.save_profile(&Profile {
            model: "other".into(),
            ..p.clone()
        })
        .unwrap();
        let all = s.profiles().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].model, "other");
        assert!(s.delete_profile("fast").unwrap());
        assert!(!s.delete_profile("fast").unwrap());
    }
}
