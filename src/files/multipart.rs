//! Reading a form that carries files: each goes to the store chunk by chunk as it arrives
//! (never whole in memory), the text fields come back as sent. Every upload form (cohort
//! resources, news covers, the logo, publications with their covers) reads its body here.

use axum::extract::Multipart;
use futures_util::StreamExt;
use sqlx::AnyPool;

use super::{FileError, Rules, StoredFile, store_stream};
use crate::error::{AppError, AppResult};

/// A multipart form as read.
#[derive(Debug)]
pub struct UploadForm {
    /// The text fields, by name, in the order sent, as sent: the caller cleans them (the
    /// form kit's `clean`) as it does any form's.
    pub fields: Vec<(String, String)>,
    /// The file, stored (unattached) as it arrived, or why it was refused; `None` when the
    /// form held none (a file input left empty).
    pub file: Option<Result<StoredFile, FileError>>,
    /// The files of the form's other file parts (see [`read_form_with`]), by part name.
    pub others: Vec<(String, Result<StoredFile, FileError>)>,
}

impl UploadForm {
    /// The field's value as sent, empty when absent (the first, when sent several times).
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of a field sent several times (checkboxes), in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The stored file, or its refusal (in words, naming what `rules` accept) added to the
    /// form's messages under `file`.
    pub fn take_file(
        &mut self,
        check: &mut crate::web::form::Check,
        rules: &Rules,
    ) -> AppResult<Option<StoredFile>> {
        match self.file.take() {
            None => Ok(None),
            Some(Err(FileError::Database(e))) => Err(e.into()),
            Some(Err(e)) => {
                check.add("file", super::document_refusal(&e, rules));
                Ok(None)
            }
            Some(Ok(file)) => Ok(Some(file)),
        }
    }

    /// The file sent in the other part `name`, or why it was refused; `None` when none was.
    pub fn take_other(&mut self, name: &str) -> Option<Result<StoredFile, FileError>> {
        let at = self.others.iter().position(|(n, _)| n == name)?;
        Some(self.others.remove(at).1)
    }

    /// The submission's key: the form's own (a hidden `submission` field made when it was
    /// shown), else the digest of what was sent, so that the same form sent twice is stored
    /// once.
    pub fn submission(&self, parts: &[&str]) -> String {
        let key = self.get("submission").trim();
        if !key.is_empty() && key.len() <= 100 {
            return key.to_owned();
        }
        crate::secret::digest(&parts.join("\u{1f}"))
    }
}

/// Reads an upload form under `rules` (its file in the part `file`), at the portal's time.
pub async fn read_form(
    state: &crate::state::AppState,
    multipart: Multipart,
    rules: &Rules,
) -> AppResult<UploadForm> {
    read_multipart(&state.pool, state.clock.now(), multipart, "file", rules).await
}

/// Reads an upload form whose part `file` is stored under `rules` and each of `others`
/// (part name, rules) under its own: a publication with its cover picture.
pub async fn read_form_with(
    state: &crate::state::AppState,
    multipart: Multipart,
    rules: &Rules,
    others: &[(&str, &Rules)],
) -> AppResult<UploadForm> {
    let mut parts = vec![("file", rules)];
    parts.extend_from_slice(others);
    read_parts(&state.pool, state.clock.now(), multipart, &parts).await
}

/// What a person is told when the body is not a form this portal can read.
const UNREADABLE: &str =
    "The form could not be read. Try again, with a smaller file if you attached a large one.";

/// Reads a multipart form whose file is the part named `file_field`, stored under `rules`.
///
/// Only the first file counts: a second one, or a file in any other part, is read and
/// dropped. A refused file is read to its end and dropped, so that the fields after it still
/// come through and the form can be shown again with them; a body cut short after a refused
/// file (one over the request's limit) ends the form there, with what was read. Any other
/// body that cannot be read is a 400 with a message.
pub async fn read_multipart(
    pool: &AnyPool,
    now: i64,
    multipart: Multipart,
    file_field: &str,
    rules: &Rules,
) -> AppResult<UploadForm> {
    read_parts(pool, now, multipart, &[(file_field, rules)]).await
}

/// Reads a multipart form whose file parts are `parts` (name, rules): the first goes to
/// [`UploadForm::file`], the others to [`UploadForm::others`]; one file a part.
async fn read_parts(
    pool: &AnyPool,
    now: i64,
    mut multipart: Multipart,
    parts: &[(&str, &Rules)],
) -> AppResult<UploadForm> {
    let unreadable = || AppError::BadRequest(UNREADABLE.to_owned());
    let mut form = UploadForm {
        fields: Vec::new(),
        file: None,
        others: Vec::new(),
    };
    loop {
        let refused =
            matches!(form.file, Some(Err(_))) || form.others.iter().any(|(_, f)| f.is_err());
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) if refused => break,
            Err(_) => return Err(unreadable()),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let Some(file_name) = file_name else {
            let text = field.text().await.map_err(|_| unreadable())?;
            form.fields.push((name, text));
            continue;
        };
        let mut field = std::pin::pin!(field);
        // A file input left empty sends a part without a name or bytes.
        let part = parts.iter().position(|(n, _)| *n == name);
        let taken = match part {
            Some(0) => form.file.is_some(),
            Some(_) => form.others.iter().any(|(n, _)| *n == name),
            None => true,
        };
        let (Some(part), false, false) = (part, file_name.is_empty(), taken) else {
            drain(&mut field).await;
            continue;
        };
        let stored = store_stream(pool, now, parts[part].1, &file_name, &mut field).await;
        if stored.is_err() {
            drain(&mut field).await;
        }
        if part == 0 {
            form.file = Some(stored);
        } else {
            form.others.push((name, stored));
        }
    }
    Ok(form)
}

/// Reads a part to its end (or to the error that ends it), dropping what it holds.
async fn drain<S, T, E>(part: &mut S)
where
    S: futures_util::Stream<Item = Result<T, E>> + Unpin,
{
    while let Some(piece) = part.next().await {
        if piece.is_err() {
            break;
        }
    }
}
