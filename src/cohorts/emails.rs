//! The emails of cohorts. Every one is sent through the outbox in the transaction of the
//! change that causes it, and only to people the access policy lets into the cohort
//! (`super::mail_recipients`, `super::facilitators_to_tell`).

use crate::{
    email_templates,
    notify::{Attachment, Email},
};

/// To a facilitator: someone asks to join.
pub struct JoinRequest {
    pub org_name: String,
    pub facilitator_name: String,
    pub person_name: String,
    pub person_city: String,
    pub cohort_name: String,
    pub message: String,
    pub link: String,
}
email_templates!(
    JoinRequest,
    "email/cohort_join_request.txt",
    "email/cohort_join_request.html"
);

impl Email for JoinRequest {
    const KIND: &'static str = "cohort-join-request";
    fn subject(&self) -> String {
        format!("{} asks to join {}", self.person_name, self.cohort_name)
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// To the person who asked: the facilitator's answer.
pub struct RequestDecision {
    pub org_name: String,
    pub name: String,
    pub cohort_name: String,
    pub approved: bool,
    /// The facilitator's reason for a decline, or empty.
    pub reason: String,
    pub link: String,
}
email_templates!(
    RequestDecision,
    "email/cohort_request_decision.txt",
    "email/cohort_request_decision.html"
);

impl Email for RequestDecision {
    const KIND: &'static str = "cohort-request-decision";
    fn subject(&self) -> String {
        if self.approved {
            format!("You are in: {}", self.cohort_name)
        } else {
            format!("Your request to join {}", self.cohort_name)
        }
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// To a follower: a new thread in the cohort, with its opening post.
pub struct NewThread {
    pub org_name: String,
    pub name: String,
    pub author_name: String,
    pub author_city: String,
    pub cohort_name: String,
    pub title: String,
    /// The post as plain text, for the text part ([`crate::text::markdown::plain`]).
    pub body: String,
    /// The post rendered and sanitized, as its page shows it, for the HTML part.
    pub body_html: String,
    pub link: String,
    /// The cohort's overview, where following stops.
    pub cohort_link: String,
}
email_templates!(
    NewThread,
    "email/cohort_new_thread.txt",
    "email/cohort_new_thread.html"
);

impl Email for NewThread {
    const KIND: &'static str = "cohort-new-thread";
    fn subject(&self) -> String {
        format!("New in {}: {}", self.cohort_name, self.title)
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// To a follower who took part in a thread: a reply in it.
pub struct Reply {
    pub org_name: String,
    pub name: String,
    pub author_name: String,
    pub author_city: String,
    pub cohort_name: String,
    /// The thread's title.
    pub title: String,
    /// The post as plain text, for the text part ([`crate::text::markdown::plain`]).
    pub body: String,
    /// The post rendered and sanitized, as its page shows it, for the HTML part.
    pub body_html: String,
    pub link: String,
    pub cohort_link: String,
}
email_templates!(Reply, "email/cohort_reply.txt", "email/cohort_reply.html");

impl Email for Reply {
    const KIND: &'static str = "cohort-reply";
    fn subject(&self) -> String {
        format!("{} replied: {}", self.author_name, self.title)
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
    /// The newest reply, telling of the earlier ones not yet emailed.
    fn merged(&self, earlier: i64) -> askama::Result<(String, String, String)> {
        let (text, html) = self.render_parts_merged(earlier)?;
        Ok((
            format!("{} new replies: {}", earlier + 1, self.title),
            text,
            html,
        ))
    }
}

/// What happened to a session, for its email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionChange {
    New,
    Changed,
    Cancelled,
}

/// To the cohort's followers: a session planned, changed or cancelled, with its time in the
/// recipient's zone (and in the session's own zone when it differs).
pub struct SessionNotice {
    pub org_name: String,
    pub name: String,
    pub cohort_name: String,
    pub change: SessionChange,
    pub title: String,
    /// "14 January 2027, 10:00 AM EST – 11:00 AM EST", in the recipient's zone.
    pub when: String,
    /// The same in the session's zone, "9:00 AM CST – 10:00 AM CST in America/Chicago", or
    /// empty when it is the recipient's zone.
    pub own_when: String,
    pub call_url: String,
    /// The cohort's sessions page.
    pub link: String,
    /// The session's calendar file, so that the reader's calendar adds, updates or strikes it.
    pub calendar: Attachment,
}
email_templates!(
    SessionNotice,
    "email/cohort_session.txt",
    "email/cohort_session.html"
);

impl SessionNotice {
    pub fn is_new(&self) -> bool {
        self.change == SessionChange::New
    }
    pub fn is_cancelled(&self) -> bool {
        self.change == SessionChange::Cancelled
    }
}

impl Email for SessionNotice {
    const KIND: &'static str = "cohort-session";
    fn subject(&self) -> String {
        match self.change {
            SessionChange::New => format!("New session in {}: {}", self.cohort_name, self.title),
            SessionChange::Changed => {
                format!("Session changed in {}: {}", self.cohort_name, self.title)
            }
            SessionChange::Cancelled => {
                format!("Session cancelled in {}: {}", self.cohort_name, self.title)
            }
        }
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
    fn attachments(&self) -> Vec<Attachment> {
        vec![self.calendar.clone()]
    }
}

/// To a person a facilitator invites: accept or decline on the cohorts page.
pub struct Invitation {
    pub org_name: String,
    pub name: String,
    pub inviter_name: String,
    pub cohort_name: String,
    pub link: String,
}
email_templates!(
    Invitation,
    "email/cohort_invitation.txt",
    "email/cohort_invitation.html"
);

impl Email for Invitation {
    const KIND: &'static str = "cohort-invitation";
    fn subject(&self) -> String {
        format!("{} invites you to {}", self.inviter_name, self.cohort_name)
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}
