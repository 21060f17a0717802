//! Reading what the user points at — prompt and variable files, schemas, images — within
//! documented limits. A file is checked before it is read (a directory, a device such as
//! `/dev/zero`, a file over the limit), and then read through a cap, since some files
//! (`/proc/…`, pipes) say nothing true about their size in advance.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use quarry_engine::Part;
use quarry_engine::attachment::{self, Kind};
use quarry_engine::limits::{
    MAX_ATTACHMENT_BYTES, MAX_IMAGE_BYTES, MAX_TEXT_FILE_BYTES, human_bytes,
};

use crate::report::Failure;

/// Reads at most `limit` bytes of `path`; `what` names it in errors (`--prompt file`).
fn read_capped(path: &Path, limit: usize, what: &str) -> Result<Vec<u8>, Failure> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| {
        Failure::input(
            format!("cannot read {what} `{shown}`: {e}"),
            "check the path",
        )
    })?;
    if meta.is_dir() {
        return Err(Failure::input(
            format!("{what} `{shown}` is a folder"),
            "give the path of a file",
        ));
    }
    let too_big = || {
        Failure::input(
            format!(
                "{what} `{shown}` is larger than the limit of {}",
                human_bytes(limit as u64)
            ),
            "give a smaller file",
        )
    };
    if meta.is_file() && meta.len() > limit as u64 {
        return Err(too_big());
    }
    let file = File::open(path).map_err(|e| {
        Failure::input(
            format!("cannot read {what} `{shown}`: {e}"),
            "check the path and its permissions",
        )
    })?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Failure::input(
                format!("cannot read {what} `{shown}`: {e}"),
                "check the file",
            )
        })?;
    if bytes.len() > limit {
        return Err(too_big());
    }
    Ok(bytes)
}

/// A text file (prompt, variable, schema) as UTF-8, at most [`MAX_TEXT_FILE_BYTES`].
pub fn read_text(path: &Path, what: &str) -> Result<String, Failure> {
    read_text_up_to(path, MAX_TEXT_FILE_BYTES, what)
}

/// A run archive to import: larger than a prompt (it carries every event of a run), still
/// bounded.
pub const MAX_ARCHIVE_BYTES: usize = 1024 * 1024 * 1024;

/// A text file as UTF-8, at most `limit` bytes.
pub fn read_text_up_to(path: &Path, limit: usize, what: &str) -> Result<String, Failure> {
    let bytes = read_capped(path, limit, what)?;
    String::from_utf8(bytes).map_err(|e| {
        Failure::input(
            format!(
                "{what} `{}` is not UTF-8 text (byte {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ),
            "save the file as UTF-8",
        )
    })
}

/// The image type of `bytes`, from their first bytes (not the file name).
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match attachment::sniff(bytes) {
        Some((Kind::Image, media_type)) => Some(media_type),
        _ => None,
    }
}

/// A file given to `--file` as a message part: an image, PDF or audio file inline, or a
/// text file's text; the type comes from its bytes, never its name.
pub fn read_attachment(path: &Path) -> Result<Part, Failure> {
    let bytes = read_capped(path, MAX_ATTACHMENT_BYTES as usize, "--file")?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    attachment::part_from_bytes(&name, &bytes).map_err(Failure::from)
}

/// An image file as (MIME type, bytes): PNG, JPEG, GIF or WebP, at most
/// [`MAX_IMAGE_BYTES`]. Its first bytes are checked before the rest is read.
pub fn read_image(path: &Path) -> Result<(&'static str, Vec<u8>), Failure> {
    let shown = path.display();
    let not_image = || {
        Failure::input(
            format!("--image `{shown}` is not a PNG, JPEG, GIF or WebP image"),
            "convert it to PNG or JPEG first",
        )
    };
    let meta = std::fs::metadata(path).map_err(|e| {
        Failure::input(
            format!("cannot read --image `{shown}`: {e}"),
            "give an image file or an http(s):// URL",
        )
    })?;
    if !meta.is_file() {
        return Err(not_image());
    }
    let mut head = [0u8; 12];
    let mut file = File::open(path).map_err(|e| {
        Failure::input(
            format!("cannot read --image `{shown}`: {e}"),
            "check the file's permissions",
        )
    })?;
    let n = file.read(&mut head).unwrap_or(0);
    image_type(&head[..n]).ok_or_else(not_image)?;
    let bytes = read_capped(path, MAX_IMAGE_BYTES, "--image")?;
    let mime = image_type(&bytes).ok_or_else(not_image)?;
    Ok((mime, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_huge_files_are_refused_before_they_are_read() {
        let t0 = std::time::Instant::now();
        let e = read_image(Path::new("/dev/zero")).err().unwrap();
        assert!(e.render().contains("not a PNG"), "{}", e.render());
        let e = read_text(Path::new("/dev/zero"), "--prompt file")
            .err()
            .unwrap();
        assert!(
            e.render().contains("larger than the limit of 64 MiB"),
            "{}",
            e.render()
        );
        assert!(t0.elapsed() < std::time::Duration::from_secs(5));
        let dir = tempfile::tempdir().unwrap();
        let e = read_text(dir.path(), "--schema file").err().unwrap();
        assert!(e.render().contains("is a folder"));
        let fake = dir.path().join("x.png");
        std::fs::write(&fake, b"this is text").unwrap();
        assert!(read_image(&fake).is_err());
        let png = dir.path().join("y.bin");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\n....").unwrap();
        assert!(matches!(read_image(&png), Ok(("image/png", _))));
        let latin1 = dir.path().join("l.txt");
        std::fs::write(&latin1, b"caf\xe9").unwrap();
        let e = read_text(&latin1, "--var file").err().unwrap();
        assert!(
            e.render().contains("not UTF-8 text (byte 3)"),
            "{}",
            e.render()
        );
    }
}
