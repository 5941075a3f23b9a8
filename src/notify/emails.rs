//! The emails the portal sends. Each has text and HTML templates under templates/email/.

use super::Email;
use crate::email_templates;

/// An invitation to join the network.
pub struct Invitation {
    pub org_name: String,
    pub inviter_name: String,
    pub invitee_name: String,
    /// "mayor", "advisor" or "staff member", with its article: "an advisor".
    pub role_phrase: String,
    /// "Lafayette, CO", or empty for staff.
    pub city: String,
    pub link: String,
    pub expires: String,
}
email_templates!(Invitation, "email/invitation.txt", "email/invitation.html");

impl Email for Invitation {
    const KIND: &'static str = "invitation";
    fn subject(&self) -> String {
        format!(
            "{} invited you to the {} portal",
            self.inviter_name, self.org_name
        )
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// A link to choose a new password.
pub struct PasswordReset {
    pub org_name: String,
    pub name: String,
    pub link: String,
}
email_templates!(
    PasswordReset,
    "email/password_reset.txt",
    "email/password_reset.html"
);

impl Email for PasswordReset {
    const KIND: &'static str = "password-reset";
    fn subject(&self) -> String {
        format!("Choose a new password for the {} portal", self.org_name)
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// Sent to a new address to confirm it.
pub struct EmailChangeConfirm {
    pub org_name: String,
    pub name: String,
    pub new_email: String,
    pub link: String,
}
email_templates!(
    EmailChangeConfirm,
    "email/email_change_confirm.txt",
    "email/email_change_confirm.html"
);

impl Email for EmailChangeConfirm {
    const KIND: &'static str = "email-change-confirm";
    fn subject(&self) -> String {
        format!(
            "Confirm your new email address for the {} portal",
            self.org_name
        )
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// Sent to the old address when someone asks to change it.
pub struct EmailChangeNotice {
    pub org_name: String,
    pub name: String,
    pub new_email: String,
    pub base_url: String,
}
email_templates!(
    EmailChangeNotice,
    "email/email_change_notice.txt",
    "email/email_change_notice.html"
);

impl Email for EmailChangeNotice {
    const KIND: &'static str = "email-change-notice";
    fn subject(&self) -> String {
        format!(
            "A change of email address was requested on the {} portal",
            self.org_name
        )
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// To the contact who applied for a city.
pub struct ApplicationReceived {
    pub org_name: String,
    pub contact_name: String,
    pub city: String,
}
email_templates!(
    ApplicationReceived,
    "email/application_received.txt",
    "email/application_received.html"
);

impl Email for ApplicationReceived {
    const KIND: &'static str = "application-received";
    fn subject(&self) -> String {
        format!("We received the application of {}", self.city)
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// To every staff member, when a city applies.
pub struct ApplicationToStaff {
    pub org_name: String,
    pub city: String,
    pub contact: String,
    pub link: String,
}
email_templates!(
    ApplicationToStaff,
    "email/application_to_staff.txt",
    "email/application_to_staff.html"
);

impl Email for ApplicationToStaff {
    const KIND: &'static str = "application-to-staff";
    fn subject(&self) -> String {
        format!("New application: {}", self.city)
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// To the contact, when staff approve an application.
pub struct ApplicationApproved {
    pub org_name: String,
    pub contact_name: String,
    pub city: String,
    /// The mayor's name when an invitation went to them with this approval.
    pub mayor_invited: Option<String>,
}
email_templates!(
    ApplicationApproved,
    "email/application_approved.txt",
    "email/application_approved.html"
);

impl Email for ApplicationApproved {
    const KIND: &'static str = "application-approved";
    fn subject(&self) -> String {
        format!("{} is a member city", self.city)
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}

/// To the contact, when staff decline an application.
pub struct ApplicationDeclined {
    pub org_name: String,
    pub contact_name: String,
    pub city: String,
    pub message: String,
}
email_templates!(
    ApplicationDeclined,
    "email/application_declined.txt",
    "email/application_declined.html"
);

impl Email for ApplicationDeclined {
    const KIND: &'static str = "application-declined";
    fn subject(&self) -> String {
        format!("About the application of {}", self.city)
    }
    fn render(&self) -> askama::Result<(String, String)> {
        self.render_parts()
    }
}
