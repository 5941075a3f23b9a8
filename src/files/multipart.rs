//! Reading a form that carries one file: the file goes to the store chunk by chunk as it
//! arrives (never whole in memory), the text fields come back as sent. Every upload form
//! (cohort resources, news covers, the logo) reads its body here.

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
    mut multipart: Multipart,
    file_field: &str,
    rules: &Rules,
) -> AppResult<UploadForm> {
    let unreadable = || AppError::BadRequest(UNREADABLE.to_owned());
    let mut form = UploadForm {
        fields: Vec::new(),
        file: None,
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(_) if matches!(form.file, Some(Err(_))) => break,
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
        if name != file_field || file_name.is_empty() || form.file.is_some() {
            drain(&mut field).await;
            continue;
        }
        let stored = store_stream(pool, now, rules, &file_name, &mut field).await;
        if stored.is_err() {
            drain(&mut field).await;
        }
        form.file = Some(stored);
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
