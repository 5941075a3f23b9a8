//! The form kit: reading a form ([`Form`]), checking it against rules stated once per form
//! ([`Fields`], [`Check`]: every text a person submits passes through [`Check::text`] and its
//! [`clean`]), and showing it again with its messages ([`again`]).
//!
//! Control characters have no place in what people type: a NUL in a post title made the
//! Atom feed invalid XML for every subscriber, and a line break in a one-line field can end up
//! in an email header or a log line. So line endings become `\n`; one-line fields get a space
//! where a line break or tab was; every other control character (C0 but tab and line feed,
//! DEL, C1) is refused: the form comes back with them removed and a message saying so.
//! Multi-line fields ([`Field::lines`]) keep their line breaks and tabs.

use axum::{
    extract::{FromRequest, Request},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

use super::FormErrors;
use crate::text::markdown;

/// One text field of a form, stated once: its checks, the messages about it, and the
/// `maxlength` its template shows all come from here.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    /// How messages name the field, in a sentence: "the city's name", "your title".
    pub label: &'static str,
    /// The most characters it takes (after trimming).
    pub max_len: usize,
    pub required: bool,
    /// Whether it takes several lines (a textarea), keeping line breaks and tabs.
    pub lines: bool,
}

impl Field {
    /// Whether the field takes several lines (a textarea).
    pub fn multi_line(&self) -> bool {
        self.lines
    }
}

/// The text fields of one form.
#[derive(Debug)]
pub struct Fields(pub &'static [Field]);

impl Fields {
    /// The field named so; a name the form does not declare is a programming error (the
    /// tests render every form).
    pub fn get(&self, name: &str) -> &'static Field {
        self.0
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("the form declares no field {name:?}"))
    }

    /// The field's maximum length, for the template's `maxlength`.
    pub fn max(&self, name: &str) -> usize {
        self.get(name).max_len
    }

    /// What of an entered value goes back into the page with its messages: enough to correct
    /// it (half as much again as the maximum), never a huge field.
    pub fn keep(&self, name: &str, value: &str) -> String {
        let field = self.get(name);
        let max = field.max_len;
        clean(value, field.lines)
            .value
            .chars()
            .take(max + max / 2)
            .collect()
    }

    /// Starts checking a submitted form.
    pub fn check(&'static self) -> Check {
        Check {
            fields: self,
            errors: FormErrors::default(),
        }
    }
}

/// A form being checked: add the fields in the order of the form, as the summary lists them.
pub struct Check {
    fields: &'static Fields,
    pub errors: FormErrors,
}

impl Check {
    /// Checks a text field by its rule: control characters refused (the value given back
    /// without them), required, maximum length. Gives the value cleaned and trimmed.
    pub fn text(&mut self, name: &str, value: &str) -> String {
        let field = self.fields.get(name);
        let cleaned = clean(value, field.lines);
        let value = cleaned.value.trim();
        if cleaned.removed {
            self.errors.add(
                field.name,
                format!(
                    "{} held control characters (invisible codes, often pasted from another program), which were removed. Check it and send the form again.",
                    capitalize(field.label)
                ),
            );
        } else if value.is_empty() && field.required {
            self.errors
                .add(field.name, format!("Enter {}.", field.label));
        } else if value.chars().count() > field.max_len {
            self.errors.add(
                field.name,
                format!(
                    "Use at most {} characters for {}.",
                    super::group_thousands(field.max_len as i64),
                    field.label
                ),
            );
        }
        value.to_owned()
    }

    /// A Markdown body: checked as [`Check::text`], refused when it nests deeper than
    /// [`markdown::MAX_DEPTH`], and rendered off the async threads (refused when that takes
    /// longer than [`markdown::RENDER_TIME`]). Gives the source with its HTML and plain text,
    /// to store together; on a refusal the HTML is empty and the form comes back.
    pub async fn markdown(&mut self, name: &str, value: &str) -> markdown::Rendered {
        let source = self.text(name, value);
        let field = self.fields.get(name);
        if self.has(field.name) || source.is_empty() {
            return markdown::Rendered {
                source,
                ..Default::default()
            };
        }
        if markdown::too_deep(&source) {
            self.errors.add(
                field.name,
                format!(
                    "{} nests quotes, lists or HTML elements more than {} levels deep. Use at most {} levels.",
                    capitalize(field.label),
                    markdown::MAX_DEPTH,
                    markdown::MAX_DEPTH
                ),
            );
            return markdown::Rendered {
                source,
                ..Default::default()
            };
        }
        match markdown::render_off_thread(source.clone()).await {
            Some(rendered) => rendered,
            None => {
                self.errors.add(
                    field.name,
                    format!(
                        "{} took too long to prepare for the page. Shorten it or simplify its formatting, then send it again.",
                        capitalize(field.label)
                    ),
                );
                markdown::Rendered {
                    source,
                    ..Default::default()
                }
            }
        }
    }

    /// A whole number in `range`, written as people write them ("30,000"); `None` after adding
    /// `message` when it is not one.
    pub fn number(
        &mut self,
        name: &'static str,
        value: &str,
        range: std::ops::RangeInclusive<i64>,
        message: &str,
    ) -> Option<i64> {
        let digits: String = value
            .chars()
            .filter(|c| !matches!(c, ',' | ' ' | '_'))
            .collect();
        match digits.parse::<i64>() {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                self.errors.add(name, message);
                None
            }
        }
    }

    /// A date like 2024-01-31 with its year in [`super::YEARS`]; `what` names it in the
    /// message about the year ("the renewal date"), `unreadable` is the message for what is
    /// not a date. Empty is `None` without a message when the date is optional.
    pub fn date(
        &mut self,
        name: &'static str,
        value: &str,
        required: bool,
        what: &str,
        unreadable: &str,
    ) -> Option<String> {
        if value.trim().is_empty() && !required {
            return None;
        }
        match crate::time::parse_date(value) {
            Some((year, iso)) if super::YEARS.contains(&year) => Some(iso),
            Some(_) => {
                self.errors.add(name, super::years_message(what));
                None
            }
            None => {
                self.errors.add(name, unreadable);
                None
            }
        }
    }

    /// Adds a message of the form's own (a choice not made, an address in use).
    pub fn add(&mut self, name: &'static str, message: impl Into<String>) {
        self.errors.add(name, message);
    }

    /// Whether a message was added for this field already.
    pub fn has(&self, name: &str) -> bool {
        self.errors.get(name).is_some()
    }

    /// The messages, or `Ok` when there are none.
    pub fn finish(self) -> Result<(), FormErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// "the city's name" -> "The city's name".
pub fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// Shows a form again after its checks failed: status 422 unless another is given (a
/// throttled log-in: 429), and the page's title begins with "Error: ", so that a screen
/// reader says at once that the form came back. (The summary, `#error-summary`, takes the
/// focus through `static/form.js`: see `templates/macros.html`.)
pub fn again<T: askama::Template>(page: &T) -> Response {
    again_with(StatusCode::UNPROCESSABLE_ENTITY, page)
}

/// [`again`] with another status than 422.
pub fn again_with<T: askama::Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let mut response = axum::response::Html(error_title(html)).into_response();
            *response.status_mut() = status;
            response
        }
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Puts "Error: " before the page's title. The title is in `base.html`'s head, the first
/// `<title>` of every page; doing it here, after rendering, keeps it out of every page struct.
fn error_title(html: String) -> String {
    const TAG: &str = "<title>";
    match html.find(TAG) {
        Some(at) if !html[at + TAG.len()..].starts_with("Error: ") => {
            let mut out = String::with_capacity(html.len() + 7);
            out.push_str(&html[..at + TAG.len()]);
            out.push_str("Error: ");
            out.push_str(&html[at + TAG.len()..]);
            out
        }
        _ => html,
    }
}

/// A submitted value after cleaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    pub value: String,
    /// Whether control characters were removed (not counting line breaks turned to spaces).
    pub removed: bool,
}

/// Cleans a value: multi-line (`lines`) or one line (see the module's description).
pub fn clean(value: &str, multi_line: bool) -> Cleaned {
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

/// A form read from a urlencoded body; use in place of `axum::Form`. Field names are
/// cleaned; values come as sent, for [`Check::text`] to clean by each field's kind and to
/// refuse control characters with a message (choices and numbers are parsed, and refuse
/// anything else).
pub struct Form<T>(pub T);

impl<T, S> FromRequest<S> for Form<T>
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
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .map(|(name, value)| (clean(&name, false).value, value))
            .collect();
        let encoded = serde_urlencoded::to_string(&pairs)
            .map_err(|_| StatusCode::UNPROCESSABLE_ENTITY.into_response())?;
        let value = serde_urlencoded::from_str(&encoded)
            .map_err(|_| StatusCode::UNPROCESSABLE_ENTITY.into_response())?;
        Ok(Form(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static RULES: Fields = Fields(&[
        Field {
            name: "name",
            label: "the city's name",
            max_len: 5,
            required: true,
            lines: false,
        },
        Field {
            name: "title",
            label: "your title",
            max_len: 1200,
            required: false,
            lines: false,
        },
    ]);

    #[test]
    fn a_field_is_checked_by_its_rule_and_control_characters_are_refused() {
        let mut check = RULES.check();
        assert_eq!(check.text("name", "  "), "");
        assert_eq!(check.text("title", " Ma\u{0}yor\u{7} "), "Mayor");
        let errors = check.finish().unwrap_err();
        assert_eq!(errors.get("name"), Some("Enter the city's name."));
        assert_eq!(
            errors.get("title"),
            Some(
                "Your title held control characters (invisible codes, often pasted from another program), which were removed. Check it and send the form again."
            )
        );
        let mut check = RULES.check();
        check.text("name", "Lafayette");
        check.text("title", &"x".repeat(1201));
        let errors = check.finish().unwrap_err();
        assert_eq!(
            errors.get("name"),
            Some("Use at most 5 characters for the city's name.")
        );
        assert_eq!(
            errors.get("title"),
            Some("Use at most 1,200 characters for your title.")
        );
        assert_eq!(RULES.keep("name", &"y".repeat(50)).len(), 7);
    }

    #[test]
    fn numbers_and_dates_are_checked_in_range() {
        let mut check = RULES.check();
        assert_eq!(
            check.number("population", "30,000", 1..=50_000_000, "n"),
            Some(30_000)
        );
        assert_eq!(check.number("population", "0", 1..=50_000_000, "n"), None);
        assert_eq!(
            check
                .date("d", "2024-01-31", true, "the date", "u")
                .as_deref(),
            Some("2024-01-31")
        );
        assert_eq!(check.date("e", "", false, "the date", "u"), None);
        assert_eq!(check.date("f", "0001-01-01", true, "the date", "u"), None);
        assert_eq!(check.date("g", "soon", true, "the date", "u"), None);
        let errors = check.finish().unwrap_err();
        assert!(errors.get("e").is_none());
        assert_eq!(
            errors.get("f"),
            Some(super::super::years_message("the date").as_str())
        );
        assert_eq!(errors.get("g"), Some("u"));
    }

    #[test]
    fn a_form_shown_again_has_error_before_its_title_once() {
        let html = "<html><head><title>Add a city · MIP</title></head></html>".to_owned();
        let once = error_title(html);
        assert!(once.contains("<title>Error: Add a city · MIP</title>"));
        assert_eq!(error_title(once.clone()), once);
    }

    #[test]
    fn no_template_states_a_maximum_length_of_its_own() {
        for (path, text) in templates() {
            for piece in text.split("maxlength=\"").skip(1) {
                assert!(
                    piece.starts_with("{{"),
                    "{path}: a maxlength comes from the form's rules, not a number in the template"
                );
            }
        }
    }

    fn templates() -> Vec<(String, String)> {
        let mut out = Vec::new();
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
                out.push((path.display().to_string(), text));
            }
        }
        out
    }

    #[test]
    fn one_line_fields_lose_control_characters_and_line_breaks() {
        let c = clean("City\0 data\r\n2020\tnow\u{7}\u{85}", false);
        assert_eq!(c.value, "City data 2020 now");
        assert!(c.removed);
        let plain = clean("Água & “quotes”", false);
        assert_eq!(plain.value, "Água & “quotes”");
        assert!(!plain.removed);
        assert!(
            !clean("a\r\nb", false).removed,
            "a line break is not refused"
        );
    }

    #[test]
    fn multi_line_fields_keep_line_breaks_and_tabs_only() {
        let c = clean("one\r\ntwo\rthree\n\tfour\0\u{1b}[31m", true);
        assert_eq!(c.value, "one\ntwo\nthree\n\tfour[31m");
        assert!(c.removed);
    }

    #[test]
    fn a_line_break_in_a_multi_line_field_is_kept_and_in_a_one_line_field_is_a_space() {
        static TWO: Fields = Fields(&[
            Field {
                name: "body",
                label: "the text",
                max_len: 100,
                required: true,
                lines: true,
            },
            Field {
                name: "title",
                label: "the title",
                max_len: 100,
                required: true,
                lines: false,
            },
        ]);
        let mut check = TWO.check();
        assert_eq!(check.text("body", "a\r\n\tb"), "a\n\tb");
        assert_eq!(check.text("title", "a\r\nb"), "a b");
        assert!(check.finish().is_ok());
        assert_eq!(TWO.keep("title", "x\u{0}y"), "xy");
    }
}
