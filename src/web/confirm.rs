//! A destructive action's page of its own: the list's button is a link here (a GET, which
//! changes nothing); the page names the thing, says what follows, and holds the one button that
//! does it, a POST to the action's own address, beside a way back that keeps it.

use askama::Template;
use axum::response::Response;

use super::Layout;

#[derive(Template)]
#[template(path = "confirm.html")]
pub struct Confirm {
    pub layout: Layout,
    /// The page's title: the action and its subject ("Revoke: invitation to ana@city.gov").
    pub title: String,
    /// The question: "Revoke the invitation to ana@city.gov?"
    pub heading: String,
    /// What follows, in a sentence or two.
    pub explanation: String,
    /// Where the button posts.
    pub action: String,
    /// The button's words: "Revoke the invitation".
    pub button: String,
    /// Where "keep it" leads, and its words.
    pub back: String,
    pub back_label: String,
    /// A link above the heading to the list the thing is in (address, words).
    pub crumb: Option<(String, String)>,
    /// A line naming the thing more closely, under the heading (a session's time).
    pub detail: Option<Detail>,
    /// An optional text sent with the action (a reason given to the person concerned).
    pub note: Option<Note>,
}

/// A text field of a confirmation page, sent with its button.
pub struct Note {
    pub field: &'static super::form::Field,
    /// The label people read.
    pub label: &'static str,
    pub hint: &'static str,
    pub value: String,
}

/// A line of a confirmation page naming its thing: text, and the machine-readable instant
/// when the text is a time (`<time datetime>`).
pub struct Detail {
    pub text: String,
    pub datetime: Option<String>,
}

impl Confirm {
    pub fn render(&self) -> Response {
        super::render(self)
    }
}
