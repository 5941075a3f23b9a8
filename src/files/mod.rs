//! The file store: every stored file (cover pictures now; resources, attachments and
//! publications next) is kept in the database in chunks, so that every instance serves every
//! file: SQLite needs nothing beside its own file, and PostgreSQL instances share no folder.
//!
//! Private by default: nothing here decides who may read a file. A feature's route asks
//! `policy` whether the reader may see what the file belongs to, answers the same 404 as for
//! a missing file when not, and only then calls [`serve`]. Uploads are read as streams and
//! written chunk by chunk as they arrive; downloads are streamed chunk by chunk. Files are
//! write-once: a key always names the same bytes. Programs and scripts are refused by every
//! use, by their name and by their content: a cohort's resources reach people's own computers.

mod multipart;
mod programs;
mod serve;

use std::fmt::Display;

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool};

pub use multipart::{UploadForm, read_form, read_form_with, read_multipart};
pub use programs::{is_program, is_program_name};
pub use serve::{Audience, Disposition, FILE_POLICY, serve};

/// Bytes per stored chunk: what a download holds in memory at once, per request.
pub const CHUNK_SIZE: usize = 256 * 1024;

/// An upload that nothing has claimed after this long is swept.
pub const ORPHAN_AFTER_SECONDS: i64 = 3600;

/// Documents and pictures people share with each other (a cohort's resources, the files of
/// an assistance request), by the type found from the bytes: PDF, Office and OpenDocument
/// files (an Office file whose parts `infer` does not reach is a plain ZIP, an older one an
/// OLE container), PNG and JPEG pictures, and text such as CSV, which no bytes announce
/// (`application/octet-stream`). Downloads are attachments with nosniff, so no browser runs
/// what it receives. HTML, SVG and programs are refused.
pub const DOCUMENT_TYPES: &[&str] = &[
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/x-ole-storage",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "application/rtf",
    "application/zip",
    "image/png",
    "image/jpeg",
    "application/octet-stream",
];

/// What kind of file it is, in words: from the type found from the bytes, and for the
/// types the bytes do not tell apart (text, a ZIP, an OLE container) from the name.
pub fn kind(content_type: &str, name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match content_type {
        "application/pdf" => "PDF",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/msword" => "Word document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.ms-excel" => "Excel spreadsheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        | "application/vnd.ms-powerpoint" => "PowerPoint presentation",
        "application/vnd.oasis.opendocument.text" => "OpenDocument text",
        "application/vnd.oasis.opendocument.spreadsheet" => "OpenDocument spreadsheet",
        "application/vnd.oasis.opendocument.presentation" => "OpenDocument presentation",
        "application/rtf" => "Rich text document",
        "image/png" => "PNG image",
        "image/jpeg" => "JPEG image",
        _ => match extension.as_str() {
            "csv" => "CSV file",
            "txt" | "md" => "Text file",
            "doc" | "docx" => "Word document",
            "xls" | "xlsx" => "Excel spreadsheet",
            "ppt" | "pptx" => "PowerPoint presentation",
            "zip" => "ZIP archive",
            _ => "File",
        },
    }
}

/// Why a file was not taken under `rules`, for the person who sent it: the types refused
/// name what this use accepts, the size its largest file.
pub fn document_refusal(e: &FileError, rules: &Rules) -> String {
    match e {
        FileError::TypeNotAllowed(_) => format!(
            "Files of this type are not accepted. Add {}.",
            accepted_words(rules.types)
        ),
        FileError::TooLarge(_) => format!(
            "The file is larger than {}. Add a smaller version, or share a link to it.",
            human_size(rules.max_bytes)
        ),
        e => e.to_string(),
    }
}

/// "a PDF, a Word or Excel document, or a CSV or text file": what a use's types accept.
fn accepted_words(types: &[&str]) -> String {
    let has = |t: &str| types.contains(&t);
    let named = |pairs: &[(&str, &'static str)]| -> Vec<&'static str> {
        pairs
            .iter()
            .filter(|(t, _)| has(t))
            .map(|(_, w)| *w)
            .collect()
    };
    let office = named(&[
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "Word",
        ),
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Excel",
        ),
        (
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "PowerPoint",
        ),
    ]);
    let pictures = named(&[
        ("image/png", "PNG"),
        ("image/jpeg", "JPEG"),
        ("image/webp", "WebP"),
    ]);
    let mut kinds = Vec::new();
    if has("application/pdf") {
        kinds.push("a PDF".to_owned());
    }
    if !office.is_empty() {
        kinds.push(format!("a {} document", or_list(&office)));
    }
    if !pictures.is_empty() {
        kinds.push(format!("a {} picture", or_list(&pictures)));
    }
    if has("application/octet-stream") || has("text/plain") {
        kinds.push("a CSV or text file".to_owned());
    }
    match kinds.len() {
        0 => "another file".to_owned(),
        1 | 2 => kinds.join(" or "),
        n => format!("{}, or {}", kinds[..n - 1].join(", "), kinds[n - 1]),
    }
}

/// "Word, Excel or PowerPoint".
fn or_list(words: &[&str]) -> String {
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => words.join(""),
    }
}

/// What one use of the store accepts.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Largest file, in bytes.
    pub max_bytes: u64,
    /// Types accepted, as found from the bytes (`image/png`, `application/pdf`, …); files
    /// whose type the bytes do not tell are `application/octet-stream`.
    pub types: &'static [&'static str],
}

/// Why an upload was not stored. Nothing of it is left in the store.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("The file is empty.")]
    Empty,
    #[error("The file is larger than {}.", human_size(*.0))]
    TooLarge(u64),
    /// The type found from the bytes is not among the use's types.
    #[error("Files of this type ({0}) are not accepted here.")]
    TypeNotAllowed(String),
    /// A program or a script, told by its name or by its first bytes, whatever the use
    /// accepts otherwise.
    #[error(
        "Programs and scripts (such as .exe, .bat, .vbs, .ps1 or .js files) are not accepted, \
         whatever their name. Share a document, a picture or a link."
    )]
    Program,
    /// The client's stream failed (a dropped connection, a body over the request limit).
    #[error("The upload was interrupted. Try again.")]
    Interrupted(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// A stored file, as its row says.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredFile {
    pub id: i64,
    pub key: String,
    /// The name it was uploaded with, cleaned.
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub chunk_size: i64,
    pub created_at: i64,
}

/// A size as people read it, the one way the portal writes sizes: "12 bytes", "1.0 kB",
/// "2.4 MB", "1.1 GB" (units of 1,024, one decimal).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    // 1,023.96 kB would print as "1024.0 kB": move up a unit before rounding says so.
    while value >= 1023.95 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Characters that change the direction in which the characters around them are shown
/// (Unicode's `Bidi_Control`): in a file name they make `…\u{202E}fdp.vbs` read as
/// "…sbv.pdf".
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The name as uploaded, without any folder a browser sent along, control characters,
/// direction controls or surrounding spaces, and at most 200 characters; "file" when nothing
/// is left.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect::<String>()
        .trim()
        .chars()
        .take(200)
        .collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// The type of a file from its first bytes; `application/octet-stream` when they do not say.
/// SVG, which is text and which `infer` does not tell, is `image/svg+xml` when the text
/// opens (after a BOM, an XML declaration, comments or a doctype) with an `<svg` element.
pub fn detect_type(first_bytes: &[u8]) -> &'static str {
    // `infer` calls a file opening with an XML declaration `text/xml`.
    match infer::get(first_bytes).map(|t| t.mime_type()) {
        None | Some("text/xml") if is_svg(first_bytes) => "image/svg+xml",
        Some(t) => t,
        None => "application/octet-stream",
    }
}

fn is_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let Ok(text) = std::str::from_utf8(head).or_else(|e| {
        // The 4 KB may cut a character in two: the whole characters before it count.
        std::str::from_utf8(&head[..e.valid_up_to()])
    }) else {
        return false;
    };
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<svg") {
            return after.starts_with(|c: char| c.is_whitespace() || c == '>' || c == '/');
        }
        let close = if rest.starts_with("<?xml") {
            "?>"
        } else if rest.starts_with("<!--") {
            "-->"
        } else if rest.starts_with("<!DOCTYPE svg") || rest.starts_with("<!doctype svg") {
            ">"
        } else {
            return false;
        };
        match rest.find(close) {
            Some(at) => rest = rest[at + close.len()..].trim_start(),
            None => return false,
        }
    }
}

fn new_key() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    hex::encode(bytes)
}

/// An upload being written.
struct Upload<'a> {
    pool: &'a AnyPool,
    now: i64,
    rules: &'a Rules,
    name: String,
    /// The row, once the first chunk is known good: (id, key, content type).
    row: Option<(i64, String, &'static str)>,
    seq: i64,
    size: u64,
    hasher: Sha256,
    buf: Vec<u8>,
}

impl Upload<'_> {
    /// Writes the buffered chunk; the first one decides the type and creates the row.
    async fn flush(&mut self) -> Result<(), FileError> {
        if self.row.is_none() {
            let content_type = detect_type(&self.buf);
            if is_program(content_type, &self.buf) {
                return Err(FileError::Program);
            }
            if !self.rules.types.contains(&content_type) {
                return Err(FileError::TypeNotAllowed(content_type.to_owned()));
            }
            let key = new_key();
            // Each chunk is its own statement: a slow upload never holds a write
            // transaction (which on SQLite would stop every other writer).
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO files (key, name, content_type, size, sha256, chunk_size, attached, created_at) \
                 VALUES ($1, $2, $3, 0, '', $4, 0, $5) RETURNING id",
            )
            .bind(&key)
            .bind(&self.name)
            .bind(content_type)
            .bind(CHUNK_SIZE as i64)
            .bind(self.now)
            .fetch_one(self.pool)
            .await?;
            self.row = Some((id, key, content_type));
        }
        let Some((id, ..)) = &self.row else {
            unreachable!("the row was created above")
        };
        sqlx::query("INSERT INTO file_chunks (file_id, seq, data) VALUES ($1, $2, $3)")
            .bind(*id)
            .bind(self.seq)
            .bind(std::mem::take(&mut self.buf))
            .execute(self.pool)
            .await?;
        self.seq += 1;
        self.buf = Vec::with_capacity(CHUNK_SIZE.min(self.rules.max_bytes as usize));
        Ok(())
    }

    async fn take(&mut self, piece: &[u8]) -> Result<(), FileError> {
        self.size += piece.len() as u64;
        if self.size > self.rules.max_bytes {
            return Err(FileError::TooLarge(self.rules.max_bytes));
        }
        self.hasher.update(piece);
        let mut rest = piece;
        while !rest.is_empty() {
            let room = CHUNK_SIZE - self.buf.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.buf.extend_from_slice(now);
            rest = later;
            if self.buf.len() == CHUNK_SIZE {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn finish(&mut self) -> Result<StoredFile, FileError> {
        if self.size == 0 {
            return Err(FileError::Empty);
        }
        if !self.buf.is_empty() {
            self.flush().await?;
        }
        let Some((id, key, content_type)) = self.row.clone() else {
            unreachable!("a file with bytes has a row")
        };
        let sha256 = hex::encode(std::mem::take(&mut self.hasher).finalize());
        sqlx::query("UPDATE files SET size = $1, sha256 = $2 WHERE id = $3")
            .bind(self.size as i64)
            .bind(&sha256)
            .bind(id)
            .execute(self.pool)
            .await?;
        Ok(StoredFile {
            id,
            key,
            name: self.name.clone(),
            content_type: content_type.to_owned(),
            size: self.size as i64,
            sha256,
            chunk_size: CHUNK_SIZE as i64,
            created_at: self.now,
        })
    }
}

/// Stores what `stream` yields, chunk by chunk as it arrives, never holding more than one
/// chunk: stops with [`FileError::TooLarge`] past the use's limit, with
/// [`FileError::TypeNotAllowed`] when the first bytes are not of an accepted type, and with
/// [`FileError::Program`] when the name or the first bytes are a program's. The file is
/// unattached: claim it with [`attach`] within [`ORPHAN_AFTER_SECONDS`] or it is swept. On an
/// error nothing is left stored, and the stream is left where it stopped (drain it to go on
/// reading a multipart form).
pub async fn store_stream<S, E>(
    pool: &AnyPool,
    now: i64,
    rules: &Rules,
    name: &str,
    stream: &mut S,
) -> Result<StoredFile, FileError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: Display,
{
    let name = clean_name(name);
    if is_program_name(&name) {
        return Err(FileError::Program);
    }
    let mut upload = Upload {
        pool,
        now,
        rules,
        name,
        row: None,
        seq: 0,
        size: 0,
        hasher: Sha256::new(),
        buf: Vec::new(),
    };
    let result = async {
        while let Some(piece) = stream.next().await {
            let piece = piece.map_err(|e| FileError::Interrupted(e.to_string()))?;
            upload.take(&piece).await?;
        }
        upload.finish().await
    }
    .await;
    if result.is_err()
        && let Some((id, ..)) = upload.row
    {
        // Best effort: what is left behind unattached is swept within the hour anyway.
        if let Ok(mut conn) = pool.acquire().await {
            let _ = delete(&mut conn, id).await;
        }
    }
    result
}

/// Stores bytes already in memory (pictures the portal draws or resizes itself).
pub async fn store_bytes(
    pool: &AnyPool,
    now: i64,
    rules: &Rules,
    name: &str,
    bytes: &[u8],
) -> Result<StoredFile, FileError> {
    let mut stream = futures_util::stream::iter(
        bytes
            .chunks(CHUNK_SIZE)
            .map(|c| Ok::<_, std::convert::Infallible>(Bytes::copy_from_slice(c))),
    );
    store_stream(pool, now, rules, name, &mut stream).await
}

/// A completely written file.
pub async fn find(pool: &AnyPool, id: i64) -> sqlx::Result<Option<StoredFile>> {
    sqlx::query_as::<_, StoredFile>(
        "SELECT id, key, name, content_type, size, sha256, chunk_size, created_at \
         FROM files WHERE id = $1 AND sha256 <> ''",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The whole content, for the few uses that must have it at once (decoding a picture).
/// Bounded by the size the use allowed when the file was stored.
pub async fn read_all(pool: &AnyPool, id: i64) -> sqlx::Result<Vec<u8>> {
    let chunks: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT data FROM file_chunks WHERE file_id = $1 ORDER BY seq")
            .bind(id)
            .fetch_all(pool)
            .await?;
    Ok(chunks.concat())
}

/// Marks a file as owned by a feature's row, in that row's transaction, so that it is no
/// longer swept. False when the file is gone (swept, or never completely written).
pub async fn attach(conn: &mut AnyConnection, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE files SET attached = 1 WHERE id = $1 AND sha256 <> ''")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a file back to the sweeper: its owner no longer needs it.
pub async fn release(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE files SET attached = 0 WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes an uploaded file nothing will claim (its form was refused); nothing for `None`.
pub async fn discard(state: &crate::state::AppState, file: Option<StoredFile>) -> sqlx::Result<()> {
    if let Some(file) = file {
        let mut conn = state.pool.acquire().await?;
        delete(&mut conn, file.id).await?;
    }
    Ok(())
}

/// Deletes a file and its chunks.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM file_chunks WHERE file_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM files WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Deletes the files nothing claimed within [`ORPHAN_AFTER_SECONDS`]: uploads of a form that
/// failed or was abandoned, uploads cut off half-way. Returns how many went.
pub async fn sweep(pool: &AnyPool, now: i64) -> sqlx::Result<usize> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM files WHERE attached = 0 AND created_at < $1")
            .bind(now - ORPHAN_AFTER_SECONDS)
            .fetch_all(pool)
            .await?;
    let mut swept = 0;
    for id in ids {
        match sweep_one(pool, id).await {
            Ok(true) => swept += 1,
            Ok(false) => {}
            // One file that cannot go (still named by a row) does not keep the others.
            Err(e) => tracing::warn!(error = %e, file = id, "could not sweep an unclaimed file"),
        }
    }
    Ok(swept)
}

async fn sweep_one(pool: &AnyPool, id: i64) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    // Guarded: a file claimed since the list was read stays.
    let gone = sqlx::query("DELETE FROM files WHERE id = $1 AND attached = 0")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if gone.rows_affected() == 1 {
        sqlx::query("DELETE FROM file_chunks WHERE file_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(gone.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_folders_and_control_characters() {
        assert_eq!(clean_name("C:\\Users\\ada\\photo.jpg"), "photo.jpg");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name(" r\u{0}apport\n.pdf "), "rapport.pdf");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name(&"é".repeat(300)).chars().count(), 200);
    }

    #[test]
    fn names_lose_the_controls_that_turn_text_around() {
        assert_eq!(
            clean_name("Budget 2027\u{202E}fdp.vbs"),
            "Budget 2027fdp.vbs"
        );
        let every = "\u{202A}\u{202B}\u{202C}\u{202D}\u{202E}\u{2066}\u{2067}\u{2068}\u{2069}\u{200E}\u{200F}\u{061C}";
        assert_eq!(clean_name(&format!("a{every}b.pdf")), "ab.pdf");
        assert_eq!(clean_name(every), "file");
        // Letters of right-to-left scripts stay: only the controls go.
        assert_eq!(clean_name("تقرير.pdf"), "تقرير.pdf");
    }

    #[test]
    fn svg_is_told_from_its_opening_element_and_nothing_else() {
        assert_eq!(
            detect_type(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            "image/svg+xml"
        );
        assert_eq!(
            detect_type(
                "\u{feff}<?xml version=\"1.0\"?>\n<!-- logo -->\n<!DOCTYPE svg PUBLIC \"x\">\n<svg>".as_bytes()
            ),
            "image/svg+xml"
        );
        assert_eq!(detect_type(b"<html><svg></svg></html>"), "text/html");
        assert_eq!(detect_type(b"<svgfoo>"), "application/octet-stream");
        assert_eq!(detect_type(b"hello"), "application/octet-stream");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(10 * 1024 * 1024), "10.0 MB");
        assert_eq!(human_size(1536 * 1024), "1.5 MB");
        assert_eq!(human_size(1024), "1.0 kB");
        assert_eq!(human_size(2_516_582), "2.4 MB");
        assert_eq!(human_size(1024 * 1024 - 1), "1.0 MB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024 / 2), "1.5 GB");
        assert_eq!(human_size(12), "12 bytes");
    }
}
