//! Reading forms: every text a person submits passes through [`clean`], here and only here.
//!
//! Control characters have no place in what people type: a NUL in a post title made the
//! Atom feed invalid XML for every subscriber, and a line break in a one-line field can end up
//! in an email header or a log line. So line endings become `\n`; one-line fields get a space
//! where a line break or tab was; every other control character (C0 but tab and line feed,
//! DEL, C1) is removed. Multi-line fields keep their line breaks and tabs.

use axum::{
    extract::{FromRequest, Request},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

/// The fields that take several lines (the portal's textareas), by name, across all forms;
/// every other field is one line. A unit test checks this list against the templates.
pub const MULTI_LINE: &[&str] = &["body", "excerpt", "message", "quote", "reason"];

/// A submitted value after cleaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    pub value: String,
    /// Whether control characters were removed (not counting line breaks turned to spaces).
    pub removed: bool,
}

/// Cleans the value of the field `name` (see the module's description).
pub fn clean(name: &str, value: &str) -> Cleaned {
    let multi_line = MULTI_LINE.contains(&name);
    let mut out = String::with_capacity(value.len());
    let mut removed = false;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(if multi_line { '\n' } else { ' ' });
            }
            '\t' => out.push(if multi_line { '\t' } else { ' ' }),
            c if c.is_control() => removed = true,
            c => out.push(c),
        }
    }
    Cleaned {
        value: out,
        removed,
    }
}

/// A form read from a urlencoded body, every value cleaned; use in place of `axum::Form`.
pub struct Form<T>(pub T);

/// The same, also naming the fields from which control characters were removed, for forms
/// that tell the person (the public join form).
pub struct Checked<T> {
    pub value: T,
    pub removed: Vec<String>,
}

impl<T, S> FromRequest<S> for Checked<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        // axum's own Form reads the body: its content-type check, body limit and rejections.
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut removed = Vec::new();
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(name, value)| {
                let cleaned = clean(&name, &value);
                if cleaned.removed && !removed.contains(&name) {
                    removed.push(name.clone());
                }
                (clean("", &name).value, cleaned.value)
            })
            .collect();
        let encoded = serde_urlencoded::to_string(&pairs)
            .map_err(|_| StatusCode::UNPROCESSABLE_ENTITY.into_response())?;
        let value = serde_urlencoded::from_str(&encoded)
            .map_err(|_| StatusCode::UNPROCESSABLE_ENTITY.into_response())?;
        Ok(Checked { value, removed })
    }
}

impl<T, S> FromRequest<S> for Form<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Checked { value, .. } = Checked::from_request(request, state).await?;
        Ok(Form(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_fields_lose_control_characters_and_line_breaks() {
        let c = clean("title", "City\0 data\r\n2020\tnow\u{7}\u{85}");
        assert_eq!(c.value, "City data 2020 now");
        assert!(c.removed);
        let plain = clean("title", "Água & “quotes”");
        assert_eq!(plain.value, "Água & “quotes”");
        assert!(!plain.removed);
        assert!(
            !clean("title", "a\r\nb").removed,
            "a line break is not refused"
        );
    }

    #[test]
    fn multi_line_fields_keep_line_breaks_and_tabs_only() {
        let c = clean("body", "one\r\ntwo\rthree\n\tfour\0\u{1b}[31m");
        assert_eq!(c.value, "one\ntwo\nthree\n\tfour[31m");
        assert!(c.removed);
    }

    #[test]
    fn every_textarea_in_the_templates_is_a_multi_line_field() {
        let mut names = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates"
        ))];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for piece in text.split("<textarea").skip(1) {
                    let tag = piece.split('>').next().unwrap_or_default();
                    if let Some(rest) = tag.split("name=\"").nth(1) {
                        names.push(rest.split('"').next().unwrap_or_default().to_owned());
                    }
                }
            }
        }
        assert!(!names.is_empty());
        for name in names {
            assert!(MULTI_LINE.contains(&name.as_str()), "{name}");
        }
    }
}
