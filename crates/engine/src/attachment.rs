//! Files attached to a prompt: images, PDFs and audio. What a file is (from its bytes, never
//! its name), what each provider takes and up to which size, and the work done once before
//! the first request so that every attempt sends the same checked parts: a URL the provider
//! cannot fetch itself is fetched here (after the address checks in [`crate::fetch`]), and a
//! PDF for a provider that cannot read PDFs becomes its text.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;

use crate::error::{Error, Setting};
use crate::events::RunEvent;
use crate::fetch::FetchPolicy;
use crate::limits::{self, human_bytes};
use crate::message::{Message, Part, Role};

/// The kinds of file a message can carry besides text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Pdf,
    Audio,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Image => "images",
            Kind::Pdf => "PDFs",
            Kind::Audio => "audio",
        }
    }

    fn of(media_type: &str) -> Option<Kind> {
        if media_type == "application/pdf" {
            Some(Kind::Pdf)
        } else if media_type.starts_with("image/") {
            Some(Kind::Image)
        } else if media_type.starts_with("audio/") {
            Some(Kind::Audio)
        } else {
            None
        }
    }
}

/// The file types Quarry sends, as people name them (for errors).
pub const SUPPORTED: &str =
    "an image (PNG, JPEG, GIF, WebP), a PDF, audio (WAV, MP3, FLAC, OGG, AAC, AIFF) or UTF-8 text";

/// What `bytes` are, from their first bytes: the kind and the MIME type Quarry sends them as.
/// `None` for anything else (text included).
pub fn sniff(bytes: &[u8]) -> Option<(Kind, &'static str)> {
    let found = infer::get(bytes)?.mime_type();
    let media_type = match found {
        "image/png" | "image/jpeg" | "image/gif" | "image/webp" => found,
        "application/pdf" => found,
        // infer's names for these are the older `x-` forms; providers list the plain ones.
        "audio/x-wav" => "audio/wav",
        "audio/x-flac" => "audio/flac",
        "audio/x-aiff" => "audio/aiff",
        "audio/mpeg" | "audio/ogg" | "audio/aac" => found,
        "audio/opus" => "audio/ogg",
        _ => return None,
    };
    Some((Kind::of(media_type)?, media_type))
}

/// A file as a message part: an image, PDF or audio part with the bytes inline, or a text
/// part for UTF-8 text. `name` is shown to people and, for PDFs, sent as the file name.
pub fn part_from_bytes(name: &str, bytes: &[u8]) -> Result<Part, Error> {
    if let Some((kind, media_type)) = sniff(bytes) {
        let url = data_url(media_type, bytes);
        let name = Some(name.to_string());
        return Ok(match kind {
            Kind::Image => Part::Image { url, detail: None },
            Kind::Pdf => Part::Document { url, name },
            Kind::Audio => Part::Audio { url, name },
        });
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => Ok(Part::Text { text: text.into() }),
        _ => {
            let what = infer::get(bytes)
                .map(|t| format!(" (it looks like {})", t.mime_type()))
                .unwrap_or_default();
            Err(files_error(
                format!("`{name}` is not a file Quarry can send{what}"),
                format!("attach {SUPPORTED}; the type is read from the file's bytes, not its name"),
            ))
        }
    }
}

/// A file the UI read (a `data:` URL, whatever type the browser guessed from its name) as a
/// message part, typed by its bytes as [`part_from_bytes`] does.
pub fn part_from_data_url(name: &str, url: &str) -> Result<Part, Error> {
    let not_read = |why: &str| {
        files_error(
            format!("`{name}` did not arrive whole ({why})"),
            "attach the file again",
        )
    };
    let inline = Inline::parse(url).ok_or_else(|| not_read("not a base64 data: URL"))?;
    if inline.len() > limits::MAX_ATTACHMENT_BYTES {
        return Err(files_error(
            format!(
                "`{name}` is {}; Quarry attaches files of at most {}",
                human_bytes(inline.len()),
                human_bytes(limits::MAX_ATTACHMENT_BYTES)
            ),
            "attach a smaller file",
        ));
    }
    let bytes = inline
        .decode()
        .map_err(|_| not_read("its base64 is broken"))?;
    part_from_bytes(name, &bytes)
}

/// `data:<media type>;base64,<bytes>`.
pub fn data_url(media_type: &str, bytes: &[u8]) -> String {
    let mut url = format!("data:{media_type};base64,");
    base64::engine::general_purpose::STANDARD.encode_string(bytes, &mut url);
    url
}

/// An inline file: the MIME type and base64 text of a `data:` URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inline<'a> {
    pub media_type: &'a str,
    pub base64: &'a str,
}

impl<'a> Inline<'a> {
    /// The parts of a base64 `data:` URL, or `None` when `url` is not one.
    pub fn parse(url: &'a str) -> Option<Inline<'a>> {
        let (meta, base64) = url.strip_prefix("data:")?.split_once(',')?;
        let media_type = meta.strip_suffix(";base64")?;
        Some(Inline { media_type, base64 })
    }

    /// The decoded size, from the text's length (without decoding).
    pub fn len(&self) -> u64 {
        let padding = self.base64.bytes().rev().take_while(|b| *b == b'=').count();
        ((self.base64.len() as u64) * 3 / 4).saturating_sub(padding as u64)
    }

    pub fn is_empty(&self) -> bool {
        self.base64.is_empty()
    }

    pub fn decode(&self) -> Result<Vec<u8>, base64::DecodeError> {
        base64::engine::general_purpose::STANDARD.decode(self.base64)
    }
}

/// How a provider takes one kind of file.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// The MIME types it takes.
    pub media_types: &'static [&'static str],
    /// The largest one file may be (decoded bytes).
    pub max_bytes: u64,
    /// How many of them one request may carry.
    pub max_count: usize,
    /// The provider fetches `http(s)` addresses itself (so Quarry passes them through).
    pub by_url: bool,
}

/// What files a provider takes, in one mode.
#[derive(Debug, Clone, Copy)]
pub struct Accepts {
    pub image: Option<Limit>,
    pub pdf: Option<Limit>,
    pub audio: Option<Limit>,
    /// The inline files of one request together (decoded bytes), when the provider limits
    /// them apart from the body size.
    pub request_bytes: Option<u64>,
    /// Where the provider documents these limits (for the error that names one).
    pub source: &'static str,
}

impl Accepts {
    /// Text only.
    pub const NOTHING: Accepts = Accepts {
        image: None,
        pdf: None,
        audio: None,
        request_bytes: None,
        source: "",
    };

    pub fn get(&self, kind: Kind) -> Option<&Limit> {
        match kind {
            Kind::Image => self.image.as_ref(),
            Kind::Pdf => self.pdf.as_ref(),
            Kind::Audio => self.audio.as_ref(),
        }
    }
}

pub const MB: u64 = 1_000_000;
pub const MIB: u64 = 1024 * 1024;

/// The image types every provider that takes images accepts.
pub const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];
pub const PDF_TYPES: &[&str] = &["application/pdf"];

fn files_error(message: String, hint: impl Into<String>) -> Error {
    Error::InvalidSetting {
        setting: Setting::Files,
        message,
        hint: hint.into(),
    }
}

/// Whether addresses the provider cannot fetch itself are fetched now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fetching {
    Fetch,
    /// A preview sends nothing, to the provider or anywhere else: the address stays as given.
    Leave,
}

/// What the run needs to prepare its files.
pub(crate) struct Preparing<'a> {
    pub provider: &'a str,
    pub accepts: &'a Accepts,
    pub fetch: FetchPolicy,
    pub fetching: Fetching,
    /// Providers (preset names) that take each kind, for the error that says where to go.
    pub takers: &'a (dyn Fn(Kind) -> Vec<&'static str> + Sync),
}

/// Checks every file in `messages` against what the provider takes and puts each in a form it
/// takes: URLs it cannot fetch are fetched, PDFs it cannot read become text. Events say what
/// was done. Nothing is sent to the provider before this succeeds. Returns the files left at
/// their addresses because `p.fetching` said so.
pub(crate) async fn prepare(
    messages: &mut [Message],
    p: &Preparing<'_>,
    emit: &mut (dyn FnMut(RunEvent) + Send),
) -> Result<Vec<String>, Error> {
    let mut unfetched = Vec::new();
    let mut counts = [0usize; 3];
    let mut inline_total = 0u64;
    let mut numbered = 0;
    for message in messages.iter_mut() {
        for part in message.content.iter_mut() {
            let (kind, url, name) = match part {
                Part::Text { .. } => continue,
                Part::Image { url, .. } => (Kind::Image, url, None),
                Part::Document { url, name } => (Kind::Pdf, url, name.clone()),
                Part::Audio { url, name } => (Kind::Audio, url, name.clone()),
            };
            numbered += 1;
            let label = name.unwrap_or_else(|| match Inline::parse(url) {
                Some(_) => format!("file {numbered}"),
                // Without its query: a signed address carries its credential there.
                None => crate::fetch::shown(url).to_string(),
            });
            if message.role != Role::User {
                return Err(files_error(
                    format!(
                        "`{label}` is attached to a {} message; files go in user messages",
                        message.role.as_str()
                    ),
                    "move the file to a user message",
                ));
            }
            let limit = p.accepts.get(kind);
            if Inline::parse(url).is_none() {
                let parsed = crate::fetch::check_scheme(url, &label)?;
                if limit.is_some_and(|l| l.by_url) {
                    counts[kind as usize] += 1;
                    check_count(p, kind, counts[kind as usize], &label)?;
                    continue;
                }
                if limit.is_none() && kind != Kind::Pdf {
                    return Err(not_taken(p, kind, &label));
                }
                if p.fetching == Fetching::Leave {
                    unfetched.push(label);
                    continue;
                }
                let cap = limit.map_or(limits::MAX_ATTACHMENT_BYTES, |l| l.max_bytes);
                let bytes = crate::fetch::get(&parsed, cap, p.fetch, &label).await?;
                let media_type = match sniff(&bytes) {
                    Some((found, media_type)) if found == kind => media_type,
                    other => {
                        return Err(files_error(
                            format!(
                                "`{label}` was attached as {} but the address answered {}",
                                kind.noun(),
                                other.map_or("something else".to_string(), |(_, m)| m.to_string())
                            ),
                            "check the address, or attach the file itself",
                        ));
                    }
                };
                emit(RunEvent::InputFetched {
                    url: label.clone(),
                    media_type: media_type.into(),
                    bytes: bytes.len() as u64,
                });
                *url = data_url(media_type, &bytes);
            }
            let inline = Inline::parse(url).expect("inline after fetching");
            if Kind::of(inline.media_type) != Some(kind) {
                return Err(files_error(
                    format!(
                        "`{label}` is attached as {} but its data is `{}`",
                        kind.noun(),
                        limits::clip(inline.media_type, 60)
                    ),
                    format!("attach {SUPPORTED}"),
                ));
            }
            let Some(limit) = limit else {
                if kind != Kind::Pdf {
                    return Err(not_taken(p, kind, &label));
                }
                let text = pdf_as_text(&inline, &label, p, emit).await?;
                *part = Part::Text { text };
                continue;
            };
            if !limit.media_types.contains(&inline.media_type) {
                return Err(files_error(
                    format!(
                        "`{label}` is {}, which `{}` does not take",
                        inline.media_type, p.provider
                    ),
                    format!(
                        "`{}` takes {} ({})",
                        p.provider,
                        limit.media_types.join(", "),
                        p.accepts.source
                    ),
                ));
            }
            let size = inline.len();
            if size > limit.max_bytes {
                return Err(files_error(
                    format!(
                        "`{label}` is {}; `{}` takes {} of at most {}",
                        human_bytes(size),
                        p.provider,
                        kind.noun(),
                        human_bytes(limit.max_bytes)
                    ),
                    format!(
                        "send a smaller file (the limit is documented at {})",
                        p.accepts.source
                    ),
                ));
            }
            counts[kind as usize] += 1;
            check_count(p, kind, counts[kind as usize], &label)?;
            inline_total += size;
            if let Some(max) = p.accepts.request_bytes
                && inline_total > max
            {
                return Err(files_error(
                    format!(
                        "the attached files come to {}; `{}` takes at most {} of files in one request",
                        human_bytes(inline_total),
                        p.provider,
                        human_bytes(max)
                    ),
                    format!(
                        "attach fewer or smaller files (the limit is documented at {})",
                        p.accepts.source
                    ),
                ));
            }
        }
    }
    Ok(unfetched)
}

fn check_count(p: &Preparing<'_>, kind: Kind, count: usize, label: &str) -> Result<(), Error> {
    let limit = p.accepts.get(kind).expect("counted kinds are taken");
    if count > limit.max_count {
        return Err(files_error(
            format!(
                "`{label}` is one too many: `{}` takes at most {} {} in one request",
                p.provider,
                limit.max_count,
                kind.noun()
            ),
            format!(
                "attach fewer files (the limit is documented at {})",
                p.accepts.source
            ),
        ));
    }
    Ok(())
}

fn not_taken(p: &Preparing<'_>, kind: Kind, label: &str) -> Error {
    let takers = (p.takers)(kind);
    files_error(
        format!("`{}` does not take {}: `{label}`", p.provider, kind.noun()),
        if takers.is_empty() {
            "remove the file".to_string()
        } else {
            format!(
                "choose a provider that takes {}: {}",
                kind.noun(),
                takers.join(", ")
            )
        },
    )
}

/// The text of a PDF for a provider that cannot read PDFs, extracted here, with an event.
async fn pdf_as_text(
    inline: &Inline<'_>,
    label: &str,
    p: &Preparing<'_>,
    emit: &mut (dyn FnMut(RunEvent) + Send),
) -> Result<String, Error> {
    let size = inline.len();
    if size > limits::MAX_ATTACHMENT_BYTES {
        return Err(files_error(
            format!(
                "`{label}` is {}; Quarry reads the text of PDFs of at most {}",
                human_bytes(size),
                human_bytes(limits::MAX_ATTACHMENT_BYTES)
            ),
            "send a smaller PDF, or choose a provider that reads PDFs itself",
        ));
    }
    let pages = match cached_pages(inline.base64) {
        Some(pages) => pages,
        None => {
            let bytes = inline.decode().map_err(|e| {
                files_error(
                    format!("`{label}` is not valid base64: {e}"),
                    "attach the file again",
                )
            })?;
            let pages = pdf_pages(bytes, limits::PDF_TEXT_TIMEOUT)
                .await
                .map_err(|why| {
                    files_error(
                        format!(
                            "`{}` does not read PDFs, and Quarry could not read the text of `{label}`: {why}",
                            p.provider
                        ),
                        "choose a provider that reads PDFs itself, or attach the text",
                    )
                })?;
            let pages = Arc::new(pages);
            remember_pages(inline.base64, pages.clone());
            pages
        }
    };
    let chars: usize = pages.iter().map(|t| t.trim().chars().count()).sum();
    if chars == 0 {
        return Err(files_error(
            format!(
                "`{}` does not read PDFs, and `{label}` has no text to extract (a scan, or pictures of text)",
                p.provider
            ),
            format!(
                "choose a provider that reads PDFs itself ({}), or attach the pages as images",
                (p.takers)(Kind::Pdf).join(", ")
            ),
        ));
    }
    emit(RunEvent::PdfText {
        document: label.to_string(),
        pages: pages.len() as u32,
        chars: chars as u64,
    });
    let mut text = format!(
        "[The text of the PDF `{label}` ({} pages), extracted by Quarry because the provider cannot read PDFs]\n",
        pages.len()
    );
    for (i, page) in pages.iter().enumerate() {
        text.push_str(&format!("\n--- page {} ---\n", i + 1));
        text.push_str(page.trim());
        text.push('\n');
    }
    Ok(text)
}

/// The pages of the last few PDFs read, by their base64 text (compared whole, not by a hash).
/// The workbench's request preview follows every pause in typing, and runs are repeated with
/// the same file: reading a 3 MB PDF again took about a second each time.
static PDF_PAGES: Mutex<VecDeque<ReadPdf>> = Mutex::new(VecDeque::new());
/// A PDF's base64 text and its pages' text.
type ReadPdf = (Arc<str>, Arc<Vec<String>>);
const PDF_CACHE_ENTRIES: usize = 4;
/// Larger PDFs are read again each time rather than held in memory.
const PDF_CACHE_MAX_BASE64: usize = 32 * MIB as usize;

fn cached_pages(base64: &str) -> Option<Arc<Vec<String>>> {
    let cache = PDF_PAGES.lock().unwrap_or_else(|p| p.into_inner());
    cache
        .iter()
        .find(|(text, _)| text.as_ref() == base64)
        .map(|(_, pages)| pages.clone())
}

fn remember_pages(base64: &str, pages: Arc<Vec<String>>) {
    if base64.len() > PDF_CACHE_MAX_BASE64 {
        return;
    }
    let mut cache = PDF_PAGES.lock().unwrap_or_else(|p| p.into_inner());
    if cache.len() == PDF_CACHE_ENTRIES {
        cache.pop_front();
    }
    cache.push_back((Arc::from(base64), pages));
}

/// The text of each page of a PDF. The reader runs on a thread of its own with a large
/// stack, and a PDF that makes it panic or spin is reported, not allowed to take the run
/// down or hold it past `timeout` (the thread is left to finish on its own).
pub async fn pdf_pages(bytes: Vec<u8>, timeout: Duration) -> Result<Vec<String>, String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("pdf-text".into())
        .stack_size(64 * MIB as usize)
        .spawn(move || {
            let read =
                std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem_by_pages(&bytes));
            let _ = tx.send(read);
        })
        .map_err(|e| format!("no thread to read it on: {e}"))?;
    match tokio::time::timeout(timeout, rx).await {
        Err(_) => Err(format!(
            "reading it took longer than {} s",
            timeout.as_secs()
        )),
        Ok(Err(_)) | Ok(Ok(Err(_))) => Err("the PDF reader failed on it (a damaged PDF?)".into()),
        Ok(Ok(Ok(Err(e)))) => Err(describe_pdf_error(&e.to_string())),
        Ok(Ok(Ok(Ok(pages)))) => Ok(pages),
    }
}

fn describe_pdf_error(e: &str) -> String {
    let lower = e.to_ascii_lowercase();
    if lower.contains("decrypt") || lower.contains("password") || lower.contains("encrypt") {
        "it is password-protected".into()
    } else {
        format!("it is not a PDF Quarry can read ({})", limits::clip(e, 200))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_pdfs_are_remembered_by_their_whole_text_a_few_at_a_time() {
        let pages = Arc::new(vec!["page one".to_string()]);
        remember_pages("JVBERi0xLjQKcache-a", pages.clone());
        assert_eq!(cached_pages("JVBERi0xLjQKcache-a"), Some(pages));
        assert_eq!(cached_pages("JVBERi0xLjQKcache-b"), None, "another file");
        for i in 0..PDF_CACHE_ENTRIES {
            remember_pages(&format!("JVBERi0xLjQKcache-{i}"), Arc::new(Vec::new()));
        }
        assert_eq!(cached_pages("JVBERi0xLjQKcache-a"), None, "the oldest went");
        let huge = "A".repeat(PDF_CACHE_MAX_BASE64 + 1);
        remember_pages(&huge, Arc::new(Vec::new()));
        assert_eq!(cached_pages(&huge), None, "too large to hold");
    }
}
