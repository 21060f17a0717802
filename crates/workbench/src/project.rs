//! A project as plain files a team can keep in git and review: the latest version of every
//! saved schema, prompt and profile, never a key.
//!
//! ```text
//! quarry-project.toml            format version
//! schemas/NAME.json              the schema's text, as saved
//! prompts/NAME/prompt.toml       the messages in order: role, template file, attached files
//! prompts/NAME/NN-ROLE.jinja     each message's template
//! prompts/NAME/NN-ROLE.files/…   files attached inline (by address: the address, in prompt.toml)
//! profiles/NAME.toml             provider, model, mode, base URL, [params]
//! ```
//!
//! Names become file names with anything but letters, digits, space, `_`, `-` and `.`
//! percent-encoded (and a leading `.` too), so every name survives the round trip and none
//! can climb out of its folder. Importing saves a new version only where the text differs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use quarry_engine::attachment::{Inline, data_url};
use quarry_engine::{Message, Part};
use quarry_store::Store;
use quarry_store::library::{Kind, Profile};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::CommandError;
use crate::profile_secrets::{secrets_in, without_secrets};

const FORMAT: i64 = 1;
const MANIFEST: &str = "quarry-project.toml";
/// A schema, template or profile file larger than this is not one a person wrote.
const MAX_TEXT_BYTES: u64 = 16 * 1024 * 1024;
/// An attached file (the same bound the engine puts on attachments).
const MAX_FILE_BYTES: u64 = quarry_engine::limits::MAX_ATTACHMENT_BYTES;

/// What an export or import did.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ProjectReport {
    pub folder: String,
    #[ts(type = "number")]
    pub schemas: u64,
    #[ts(type = "number")]
    pub prompts: u64,
    #[ts(type = "number")]
    pub profiles: u64,
    /// Things worth knowing: a base URL's password left out, versions already up to date.
    pub notes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    quarry_project: i64,
}

#[derive(Serialize, Deserialize, Default)]
struct PromptFile {
    #[serde(default, rename = "message")]
    messages: Vec<MessageEntry>,
}

#[derive(Serialize, Deserialize)]
struct MessageEntry {
    role: String,
    /// The message's parts in order: templates (`.jinja` files) and attached files.
    #[serde(default, rename = "part", skip_serializing_if = "Vec::is_empty")]
    parts: Vec<PartEntry>,
    /// Whatever else the message carries (tool calls of a few-shot example), as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    extra: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct PartEntry {
    /// text, image, document or audio.
    kind: String,
    /// A file beside prompt.toml (a template, or a file attached inline), or …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    /// … the address a file is fetched from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ProfileFile {
    provider: String,
    model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base_url: Option<String>,
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    params: toml::Table,
}

fn io_error(path: &Path, e: impl std::fmt::Display, doing: &str) -> CommandError {
    CommandError::new(
        "project_io",
        format!("cannot {doing} `{}`: {e}", path.display()),
        "check the folder exists and may be read and written",
    )
}

fn format_error(path: &Path, message: impl std::fmt::Display) -> CommandError {
    CommandError::new(
        "project_format",
        format!("`{}`: {message}", path.display()),
        "fix the file (or export the project again), then import it again",
    )
}

/// A name as a file name: see the module's comment.
fn file_name(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        let plain = c.is_alphanumeric() || matches!(c, ' ' | '_' | '-') || (c == '.' && i > 0);
        if plain && c != '%' {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// The name a file name stands for (the inverse of [`file_name`]).
fn name_of(file: &str, path: &Path) -> Result<String, CommandError> {
    let bytes = file.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = file
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format_error(path, "a `%` in the name is not followed by two hex digits")
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format_error(path, "the name is not UTF-8 once decoded"))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CommandError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e, "create"))?;
    }
    std::fs::write(path, bytes).map_err(|e| io_error(path, e, "write"))
}

fn read(path: &Path, limit: u64) -> Result<Vec<u8>, CommandError> {
    let meta = std::fs::symlink_metadata(path).map_err(|e| io_error(path, e, "read"))?;
    if !meta.is_file() {
        return Err(format_error(
            path,
            "is not a plain file (links are not followed)",
        ));
    }
    if meta.len() > limit {
        return Err(format_error(
            path,
            format!(
                "is {} bytes, more than the {limit} a project file may be",
                meta.len()
            ),
        ));
    }
    std::fs::read(path).map_err(|e| io_error(path, e, "read"))
}

fn read_text(path: &Path) -> Result<String, CommandError> {
    String::from_utf8(read(path, MAX_TEXT_BYTES)?).map_err(|e| {
        format_error(
            path,
            format!("is not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}

/// A link inside the project could lead anywhere on the machine (`prompts/x -> /home/me`), so
/// the folders in it, like its files, must not be links.
fn not_a_link(path: &Path) -> Result<(), CommandError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            Err(format_error(path, "is a link (links are not followed)"))
        }
        _ => Ok(()),
    }
}

/// The entries of `dir` (none when it does not exist), sorted, without hidden files; `dir` and
/// each entry must not be links.
fn entries(dir: &Path) -> Result<Vec<(String, PathBuf)>, CommandError> {
    not_a_link(dir)?;
    let read_dir = match std::fs::read_dir(dir) {
        Ok(r) => r,
        // A project without prompts (say) has no prompts folder.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(dir, e, "list")),
    };
    let mut out = Vec::new();
    for entry in read_dir {
        let entry = entry.map_err(|e| io_error(dir, e, "list"))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            not_a_link(&entry.path())?;
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

fn toml_value(v: &Value) -> Option<toml::Value> {
    Some(match v {
        // TOML has no null: a setting that is null is a setting not made.
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Array(a) => toml::Value::Array(a.iter().filter_map(toml_value).collect()),
        Value::Object(o) => toml::Value::Table(
            o.iter()
                .filter_map(|(k, v)| toml_value(v).map(|v| (k.clone(), v)))
                .collect(),
        ),
    })
}

fn json_value(v: &toml::Value) -> Value {
    match v {
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(json_value).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), json_value(v))).collect())
        }
    }
}

/// Writes the project in `store` to `folder` (created if missing; files of the same names are
/// replaced, others left alone).
pub fn export(store: &Store, folder: &Path) -> Result<ProjectReport, CommandError> {
    let mut notes = Vec::new();
    let manifest = toml::to_string(&Manifest {
        quarry_project: FORMAT,
    })
    .unwrap_or_default();
    write(&folder.join(MANIFEST), manifest.as_bytes())?;
    let latest = |kind: Kind, name: &str| -> Result<Option<String>, CommandError> {
        Ok(store.versions(kind, name)?.pop().map(|v| v.body))
    };
    let schemas = store.list_named(Kind::Schema)?;
    for s in &schemas {
        if let Some(body) = latest(Kind::Schema, &s.name)? {
            write(
                &folder
                    .join("schemas")
                    .join(format!("{}.json", file_name(&s.name))),
                body.as_bytes(),
            )?;
        }
    }
    let prompts = store.list_named(Kind::Prompt)?;
    for p in &prompts {
        let Some(body) = latest(Kind::Prompt, &p.name)? else {
            continue;
        };
        let messages: Vec<Message> = serde_json::from_str(&body).map_err(|e| {
            CommandError::new(
                "internal",
                format!("prompt `{}` in the history is not messages: {e}", p.name),
                "report this as a bug",
            )
        })?;
        export_prompt(&folder.join("prompts").join(file_name(&p.name)), &messages)?;
    }
    let profiles = store.profiles()?;
    for p in &profiles {
        // The workbench saves no profile with a secret, but a history written before it
        // refused them may hold one.
        let secrets = secrets_in(p);
        if !secrets.is_empty() {
            notes.push(format!(
                "profile `{}`: the secret in {} was left out of the export; give it again after importing",
                p.name,
                secrets.join(", ")
            ));
        }
        let p = without_secrets(p);
        let params = match toml_value(&p.params) {
            Some(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        let file = ProfileFile {
            provider: p.provider,
            model: p.model,
            mode: p.mode,
            base_url: p.base_url,
            params,
        };
        let text = toml::to_string(&file)
            .map_err(|e| CommandError::new("internal", e.to_string(), "report this as a bug"))?;
        write(
            &folder
                .join("profiles")
                .join(format!("{}.toml", file_name(&p.name))),
            text.as_bytes(),
        )?;
    }
    Ok(ProjectReport {
        folder: folder.display().to_string(),
        schemas: schemas.len() as u64,
        prompts: prompts.len() as u64,
        profiles: profiles.len() as u64,
        notes,
    })
}

fn export_prompt(dir: &Path, messages: &[Message]) -> Result<(), CommandError> {
    let mut file = PromptFile::default();
    for (i, m) in messages.iter().enumerate() {
        let stem = format!("{:02}-{}", i + 1, m.role.as_str());
        let mut entry = MessageEntry {
            role: m.role.as_str().into(),
            parts: Vec::new(),
            extra: None,
        };
        let (mut texts, mut files) = (0, 0);
        for part in &m.content {
            let (kind, url, name, detail) = match part {
                Part::Text { text } => {
                    texts += 1;
                    let path = match texts {
                        1 => format!("{stem}.jinja"),
                        n => format!("{stem}.{n}.jinja"),
                    };
                    write(&dir.join(&path), text.as_bytes())?;
                    entry.parts.push(PartEntry {
                        kind: "text".into(),
                        path: Some(path),
                        media_type: None,
                        url: None,
                        name: None,
                        detail: None,
                    });
                    continue;
                }
                Part::Image { url, detail } => ("image", url, None, detail.clone()),
                Part::Document { url, name } => ("document", url, name.clone(), None),
                Part::Audio { url, name } => ("audio", url, name.clone(), None),
            };
            files += 1;
            let mut f = PartEntry {
                kind: kind.into(),
                path: None,
                media_type: None,
                url: None,
                name,
                detail,
            };
            let inline = Inline::parse(url).and_then(|i| {
                i.decode()
                    .ok()
                    .map(|bytes| (i.media_type.to_string(), bytes))
            });
            match inline {
                Some((media_type, bytes)) => {
                    let file = f
                        .name
                        .as_deref()
                        .map_or_else(|| format!("file-{files}"), file_name);
                    // Two files of one name in a message: the second gets its number.
                    let path = if entry
                        .parts
                        .iter()
                        .any(|p| p.path.as_deref() == Some(&format!("{stem}.files/{file}")))
                    {
                        format!("{stem}.files/{files}-{file}")
                    } else {
                        format!("{stem}.files/{file}")
                    };
                    write(&dir.join(&path), &bytes)?;
                    f.path = Some(path);
                    f.media_type = Some(media_type);
                }
                None => f.url = Some(url.clone()),
            }
            entry.parts.push(f);
        }
        let mut rest = serde_json::to_value(m).unwrap_or_default();
        if let Some(o) = rest.as_object_mut() {
            o.remove("role");
            o.remove("content");
            o.retain(|_, v| !(v.is_null() || v.as_array().is_some_and(Vec::is_empty)));
            if !o.is_empty() {
                entry.extra = Some(rest.to_string());
            }
        }
        file.messages.push(entry);
    }
    let text = toml::to_string(&file)
        .map_err(|e| CommandError::new("internal", e.to_string(), "report this as a bug"))?;
    write(&dir.join("prompt.toml"), text.as_bytes())
}

/// Reads a project folder into `store`: each schema and prompt whose text differs from its
/// latest version becomes a new version; profiles are created or replaced. Everything is read
/// and checked before anything is saved, so a broken file saves nothing.
pub fn import(store: &mut Store, folder: &Path) -> Result<ProjectReport, CommandError> {
    let manifest_path = folder.join(MANIFEST);
    if !manifest_path.exists() {
        return Err(CommandError::new(
            "not_a_project",
            format!(
                "`{}` is not a Quarry project: it has no {MANIFEST}",
                folder.display()
            ),
            "choose a folder a Quarry export wrote (export to a folder first to start one)",
        ));
    }
    let manifest: Manifest = toml::from_str(&read_text(&manifest_path)?)
        .map_err(|e| format_error(&manifest_path, format!("is not a Quarry project file: {e}")))?;
    if manifest.quarry_project != FORMAT {
        return Err(format_error(
            &manifest_path,
            format!(
                "is format {}, and this Quarry reads format {FORMAT}",
                manifest.quarry_project
            ),
        ));
    }
    let mut schemas = Vec::new();
    for (file, path) in entries(&folder.join("schemas"))? {
        let Some(stem) = file.strip_suffix(".json") else {
            continue;
        };
        let body = read_text(&path)?;
        quarry_engine::ResponseSchema::from_json_str(&body).map_err(|e| format_error(&path, e))?;
        schemas.push((name_of(stem, &path)?, body));
    }
    let mut prompts = Vec::new();
    for (dir_name, dir) in entries(&folder.join("prompts"))? {
        let messages = import_prompt(&dir)?;
        let body = serde_json::to_string(&messages).unwrap_or_default();
        prompts.push((name_of(&dir_name, &dir)?, body));
    }
    let mut profiles = Vec::new();
    for (file, path) in entries(&folder.join("profiles"))? {
        let Some(stem) = file.strip_suffix(".toml") else {
            continue;
        };
        let p: ProfileFile =
            toml::from_str(&read_text(&path)?).map_err(|e| format_error(&path, e))?;
        let profile = Profile {
            name: name_of(stem, &path)?,
            provider: p.provider,
            model: p.model,
            mode: p.mode,
            base_url: p.base_url,
            params: json_value(&toml::Value::Table(p.params)),
        };
        let secrets = secrets_in(&profile);
        if !secrets.is_empty() {
            return Err(format_error(
                &path,
                format!(
                    "carries a secret in {}, and profiles are kept in the run history file, where secrets never go; take it out of the file (keys go in the keychain or the environment)",
                    secrets.join(", ")
                ),
            ));
        }
        profiles.push(profile);
    }
    let mut notes = Vec::new();
    let mut unchanged = 0;
    for (kind, items) in [(Kind::Schema, &schemas), (Kind::Prompt, &prompts)] {
        let known: std::collections::HashSet<String> = store
            .list_named(kind)?
            .into_iter()
            .map(|n| n.name)
            .collect();
        for (name, body) in items {
            let latest = match known.contains(name) {
                true => store.versions(kind, name)?.pop(),
                false => None,
            };
            if latest.is_some_and(|v| &v.body == body) {
                unchanged += 1;
                continue;
            }
            let version = store.save_version(kind, name, body)?;
            if version > 1 {
                let what = if matches!(kind, Kind::Schema) {
                    "schema"
                } else {
                    "prompt"
                };
                notes.push(format!(
                    "{what} `{name}` changed: saved as version {version}"
                ));
            }
        }
    }
    for p in &profiles {
        store.save_profile(p)?;
    }
    if unchanged > 0 {
        notes.push(format!(
            "{unchanged} schema(s) and prompt(s) were already up to date: no new version"
        ));
    }
    Ok(ProjectReport {
        folder: folder.display().to_string(),
        schemas: schemas.len() as u64,
        prompts: prompts.len() as u64,
        profiles: profiles.len() as u64,
        notes,
    })
}

fn import_prompt(dir: &Path) -> Result<Vec<Message>, CommandError> {
    let toml_path = dir.join("prompt.toml");
    let file: PromptFile =
        toml::from_str(&read_text(&toml_path)?).map_err(|e| format_error(&toml_path, e))?;
    // A path in prompt.toml is a file beside it: nothing that climbs out or starts at the root.
    let beside = |p: &str| -> Result<PathBuf, CommandError> {
        let rel = Path::new(p);
        if rel
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
        {
            // Each folder on the way must not be a link (the file itself is checked as read).
            let mut at = dir.to_path_buf();
            for part in rel.parent().into_iter().flat_map(Path::components) {
                at.push(part);
                not_a_link(&at)?;
            }
            Ok(dir.join(rel))
        } else {
            Err(format_error(
                &toml_path,
                format!("`{p}` is not a path inside the prompt's folder"),
            ))
        }
    };
    let mut messages = Vec::new();
    for entry in file.messages {
        let mut message: Message = match &entry.extra {
            Some(extra) => {
                let mut v: Value = serde_json::from_str(extra).map_err(|e| {
                    format_error(&toml_path, format!("a message's `extra` is not JSON: {e}"))
                })?;
                v["role"] = Value::String(entry.role.clone());
                v["content"] = Value::Array(Vec::new());
                serde_json::from_value(v)
                    .map_err(|e| format_error(&toml_path, format!("a message's `extra`: {e}")))?
            }
            None => serde_json::from_value(serde_json::json!({"role": entry.role, "content": []}))
                .map_err(|e| format_error(&toml_path, format!("role `{}`: {e}", entry.role)))?,
        };
        for f in entry.parts {
            let url = match (&f.path, &f.url) {
                (Some(path), None) if f.kind == "text" => {
                    message.content.push(Part::Text {
                        text: read_text(&beside(path)?)?,
                    });
                    continue;
                }
                (Some(path), None) => {
                    let media_type = f.media_type.as_deref().ok_or_else(|| {
                        format_error(&toml_path, format!("`{path}` has no media_type"))
                    })?;
                    data_url(media_type, &read(&beside(path)?, MAX_FILE_BYTES)?)
                }
                (None, Some(url)) if f.kind != "text" => url.clone(),
                _ => {
                    return Err(format_error(
                        &toml_path,
                        "a part needs a path (a template or a file beside prompt.toml) or, for a file, a url — one of them",
                    ));
                }
            };
            message.content.push(match f.kind.as_str() {
                "image" => Part::Image {
                    url,
                    detail: f.detail,
                },
                "document" => Part::Document { url, name: f.name },
                "audio" => Part::Audio { url, name: f.name },
                other => {
                    return Err(format_error(
                        &toml_path,
                        format!("a part of kind `{other}`: the kinds are text, image, document and audio"),
                    ));
                }
            });
        }
        messages.push(message);
    }
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_survive_as_file_names_and_cannot_climb_out() {
        for name in [
            "person",
            "../etc/passwd",
            ".hidden",
            "a/b",
            "50% off",
            "Jürgen's schema",
            "a.b",
        ] {
            let file = file_name(name);
            assert!(!file.contains('/') && !file.starts_with('.'), "{file}");
            assert_eq!(name_of(&file, Path::new("x")).unwrap(), name);
        }
        assert!(name_of("bad%zz", Path::new("x")).is_err());
    }
}
