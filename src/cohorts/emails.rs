//! The emails of cohorts. Every one is sent through the outbox in the transaction of the
//! change that causes it, and only to people the access policy lets into the cohort
//! (`super::mail_recipients`, `super::facilitators_to_tell`).

use crate::{email_templates, notify::Email};

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
