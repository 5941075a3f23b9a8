//! The organization's face on every page: its name, tagline, logo, contact lines and social
//! links (settings staff keep at `/staff/site`), and the pages placed in the header or the
//! footer. Read with two small queries, then kept for [`CACHE_LIFE`] (pages, error pages,
//! feeds and the mail worker all ask [`load`]): a change saved on this instance drops it at
//! once ([`forget`]), another instance shows it within that time. A setting left empty
//! leaves its line out.

use std::{
    sync::{
        RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use sqlx::AnyConnection;

use crate::{state::AppState, text::WebUrl};

/// The settings' keys, under `identity.`.
pub const NAME: &str = "identity.name";
pub const TAGLINE: &str = "identity.tagline";
pub const EMAIL: &str = "identity.email";
pub const ADDRESS: &str = "identity.address";
/// One link a line: a label, a space, the address.
pub const SOCIAL: &str = "identity.social";
/// The id of the logo's stored file.
pub const LOGO: &str = "identity.logo";

/// A link of the header or the footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub href: String,
}

/// What the stored settings say; empty strings for settings not set.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub name: String,
    pub tagline: String,
    pub email: String,
    /// The postal address, one line of it per entry.
    pub address: Vec<String>,
    pub social: Vec<Link>,
    /// The logo's address, with the file's id in it so that a new logo is a new address.
    pub logo: Option<String>,
    pub header_pages: Vec<Link>,
    pub footer_pages: Vec<Link>,
}

/// Reads the social links' setting: "Label https://…" a line; lines without a web address
/// ([`WebUrl`]) are left out.
pub fn parse_social(value: &str) -> Vec<Link> {
    value
        .lines()
        .filter_map(|line| {
            let (label, href) = line.trim().rsplit_once(char::is_whitespace)?;
            let label = label.trim();
            let href = WebUrl::parse(href).ok()?;
            (!label.is_empty()).then(|| Link {
                label: label.to_owned(),
                href: href.as_str().to_owned(),
            })
        })
        .collect()
}

/// The path the logo is served at.
pub fn logo_path(file_id: i64) -> String {
    format!("/site/logo/{file_id}")
}

/// How long the identity read is used before it is read again.
pub const CACHE_LIFE: Duration = Duration::from_secs(30);

/// The identity as last read, and when; in [`AppState`].
#[derive(Default)]
pub struct Cache {
    held: RwLock<Option<(Instant, Identity)>>,
    /// Grows with each [`forget`], so that a read begun before a save does not keep what it
    /// read after it.
    generation: AtomicU64,
}

impl Cache {
    fn fresh(&self) -> Option<Identity> {
        let held = self.held.read().unwrap_or_else(|e| e.into_inner());
        held.as_ref()
            .filter(|(at, _)| at.elapsed() < CACHE_LIFE)
            .map(|(_, identity)| identity.clone())
    }

    fn keep(&self, generation: u64, identity: Identity) {
        let mut held = self.held.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::SeqCst) == generation {
            *held = Some((Instant::now(), identity));
        }
    }

    fn forget(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        *self.held.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The stored identity and the placed pages, as read at most [`CACHE_LIFE`] ago. A database
/// error is logged and gives the configured name alone (and is not kept): an error page must
/// still render.
pub async fn load(state: &AppState) -> Identity {
    if let Some(identity) = state.identity.fresh() {
        return identity;
    }
    let generation = state.identity.generation.load(Ordering::SeqCst);
    let read = async {
        let mut conn = state.pool.acquire().await?;
        read(&mut conn).await
    };
    match read.await {
        Ok(identity) => {
            state.identity.keep(generation, identity.clone());
            identity
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not read the organization's identity");
            Identity::default()
        }
    }
}

/// Drops the identity kept, after a change to the settings or to the placed pages, so that
/// the next page (and email) on this instance reads it again.
pub fn forget(state: &AppState) {
    state.identity.forget();
}

/// The stored identity as [`load`] gives it, read on `conn` when it is not kept: in a
/// transaction, which must not ask the pool for a second connection (and on PostgreSQL must
/// hear of a failed query: it aborts the transaction).
pub async fn load_on(conn: &mut AnyConnection, state: &AppState) -> sqlx::Result<Identity> {
    if let Some(identity) = state.identity.fresh() {
        return Ok(identity);
    }
    let generation = state.identity.generation.load(Ordering::SeqCst);
    let identity = read(conn).await?;
    state.identity.keep(generation, identity.clone());
    Ok(identity)
}

/// The organization's name as emails give it: the stored one, or the configured one.
pub async fn org_name_on(conn: &mut AnyConnection, state: &AppState) -> sqlx::Result<String> {
    Ok(name_of(state, load_on(conn, state).await?))
}

/// The organization's name outside a transaction, as [`org_name_on`].
pub async fn org_name(state: &AppState) -> String {
    name_of(state, load(state).await)
}

fn name_of(state: &AppState, identity: Identity) -> String {
    if identity.name.is_empty() {
        state.config.org_name.clone()
    } else {
        identity.name
    }
}

async fn read(conn: &mut AnyConnection) -> sqlx::Result<Identity> {
    let settings: Vec<(String, String)> =
        sqlx::query_as("SELECT key, value FROM settings WHERE key LIKE 'identity.%'")
            .fetch_all(&mut *conn)
            .await?;
    let mut identity = Identity::default();
    for (key, value) in settings {
        let value = value.trim().to_owned();
        match key.as_str() {
            NAME => identity.name = value,
            TAGLINE => identity.tagline = value,
            EMAIL => identity.email = value,
            ADDRESS => {
                identity.address = value
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            SOCIAL => identity.social = parse_social(&value),
            LOGO => identity.logo = value.parse::<i64>().ok().map(logo_path),
            _ => {}
        }
    }
    let pages: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT slug, title, placement FROM pages \
         WHERE status = 'published' AND placement IN ('header', 'footer') \
         ORDER BY position, title, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (slug, title, placement) in pages {
        let link = Link {
            label: title,
            href: format!("/pages/{slug}"),
        };
        if placement == "header" {
            identity.header_pages.push(link);
        } else {
            identity.footer_pages.push(link);
        }
    }
    Ok(identity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn social_links_are_read_a_line_each_and_only_with_web_addresses() {
        let links = parse_social(
            "Bluesky https://bsky.app/profile/mip\n\nnot a link\nEvil javascript:alert(1)\nOur LinkedIn http://linkedin.com/x\nTrick https://trusted.org@evil.example\nHttps https://",
        );
        assert_eq!(
            links,
            vec![
                Link {
                    label: "Bluesky".into(),
                    href: "https://bsky.app/profile/mip".into()
                },
                Link {
                    label: "Our LinkedIn".into(),
                    href: "http://linkedin.com/x".into()
                },
            ]
        );
    }
}
