//! Text helpers every area uses, written once: Markdown bodies, slugs, email addresses, web
//! addresses, CSV files, the calendar writer, and the fold that search compares with. The
//! core: nothing here imports a feature.

pub mod csv;
pub mod email;
pub mod fold;
pub mod ics;
pub mod markdown;
pub mod slug;
pub mod url;

pub use self::email::EmailAddress;
pub use self::fold::fold;
pub use self::url::WebUrl;
