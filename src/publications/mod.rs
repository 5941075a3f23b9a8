//! Shared publications: reports, briefs, toolkits, case studies and webinar recordings that
//! staff publish (`staff`) for everyone, for members, or for chosen cohorts, and that readers
//! list, read and download (`read`). A publication's file is served only through the access
//! check ([`policy::can_read_publication`]), streamed from the file store with Range and ETag;
//! its newest version answers at the one address. The text of a PDF is extracted at upload,
//! off the async threads and bounded in time, for the one search.

pub mod emails;
pub mod home;
pub mod read;
pub mod staff;

use std::time::Duration;

use axum::Router;
use sqlx::AnyConnection;

use crate::{
    files,
    policy::{PublicationStanding, SearchScope, Visibility},
    search::{self, Access, Doc},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().merge(read::router()).merge(staff::router())
}

crate::stored_as_text!(Visibility { Public = "public", Members = "members", Cohorts = "cohorts" });

/// What kind of publication it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Report,
    Brief,
    Toolkit,
    CaseStudy,
    Webinar,
}
crate::stored_as_text!(Kind { Report = "report", Brief = "brief", Toolkit = "toolkit", CaseStudy = "case_study", Webinar = "webinar" });

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Report,
        Kind::Brief,
        Kind::Toolkit,
        Kind::CaseStudy,
        Kind::Webinar,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Kind::Report => "Report",
            Kind::Brief => "Policy brief",
            Kind::Toolkit => "Toolkit",
            Kind::CaseStudy => "Case study",
            Kind::Webinar => "Webinar recording",
        }
    }
}

/// Largest file, in bytes.
pub const MAX_BYTES: u64 = 100 * 1024 * 1024;

/// The body the publishing form accepts: the file, a cover picture and the text around them.
pub const BODY_LIMIT: usize = MAX_BYTES as usize + crate::news::images::MAX_BYTES + 2 * 1024 * 1024;

/// What a publication's file may be, by the type found from its bytes: PDF, the Office
/// formats (an Office file `infer` reads no further than its ZIP is refused: a ZIP is not a
/// publication), and CSV (text, which no bytes announce).
pub const RULES: files::Rules = files::Rules {
    max_bytes: MAX_BYTES,
    types: &[
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/octet-stream",
    ],
};

/// A publication as pages show it, with its newest file.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Publication {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub summary_html: String,
    pub authors: String,
    pub published_on: String,
    pub kind: Kind,
    pub external_url: String,
    pub visibility: Visibility,
    pub status: String,
    pub updated_at: i64,
    pub file_id: Option<i64>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
    pub version: Option<i64>,
    pub text_status: Option<String>,
    pub cover_image_id: Option<i64>,
    pub cover_alt: String,
    pub cover_hash: Option<String>,
    pub cover_widths: Option<String>,
    pub cover_width: Option<i64>,
    pub cover_height: Option<i64>,
}

/// The columns of [`Publication`], from `publications p` with its newest file.
#[macro_export]
macro_rules! publication_select {
    ($rest:literal) => {
        concat!(
            "SELECT p.id, p.slug, p.title, p.summary, p.summary_html, p.authors, p.published_on, \
             p.kind, p.external_url, p.visibility, p.status, p.updated_at, v.file_id, f.name AS file_name, \
             f.content_type, f.size, v.version, v.text_status, p.cover_image_id, p.cover_alt, \
             i.hash AS cover_hash, i.widths AS cover_widths, i.width AS cover_width, \
             i.height AS cover_height FROM publications p \
             LEFT JOIN publication_files v ON v.publication_id = p.id AND v.version = \
               (SELECT MAX(version) FROM publication_files w WHERE w.publication_id = p.id) \
             LEFT JOIN files f ON f.id = v.file_id LEFT JOIN images i ON i.id = p.cover_image_id ",
            $rest
        )
    };
}

impl Publication {
    pub fn href(&self) -> String {
        format!("/publications/{}", self.slug)
    }
    pub fn is_published(&self) -> bool {
        self.status == "published"
    }
    /// "Download the PDF (2.4 MB)".
    pub fn download_label(&self) -> Option<String> {
        let name = self.file_name.as_deref()?;
        let kind = files::kind(self.content_type.as_deref().unwrap_or_default(), name);
        Some(format!(
            "Download the {} ({})",
            kind,
            files::human_size(self.size.unwrap_or(0).max(0) as u64)
        ))
    }
    /// Its cover picture, if it has one.
    pub fn cover(&self) -> Option<crate::news::images::Cover> {
        crate::news::images::Cover::from_row(
            self.cover_hash.clone(),
            self.cover_widths.clone(),
            self.cover_width,
            self.cover_height,
            &self.cover_alt,
        )
    }
    pub fn year(&self) -> &str {
        self.published_on.get(..4).unwrap_or_default()
    }
}

/// The publication at `slug` as this reader may read it; `None` when there is none or the
/// reader may not (the 404 is the caller's).
pub async fn readable(
    conn: &mut AnyConnection,
    scope: &SearchScope,
    slug: &str,
) -> sqlx::Result<Option<Publication>> {
    let Some(p) = sqlx::query_as::<_, Publication>(publication_select!("WHERE p.slug = $1"))
        .bind(slug)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let in_cohort: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM publication_cohorts pc JOIN cohort_members m ON m.cohort_id = pc.cohort_id \
         WHERE pc.publication_id = $1 AND m.person_id = $2",
    )
    .bind(p.id)
    .bind(scope.person)
    .fetch_one(&mut *conn)
    .await?;
    let standing = PublicationStanding {
        visibility: p.visibility,
        published: p.is_published(),
        in_cohort: in_cohort > 0,
    };
    Ok(crate::policy::can_read_publication(scope, standing).then_some(p))
}

/// What search has of a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextStatus {
    Found,
    None,
    Failed,
    NotPdf,
}

impl TextStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TextStatus::Found => "found",
            TextStatus::None => "none",
            TextStatus::Failed => "failed",
            TextStatus::NotPdf => "not_pdf",
        }
    }
}

/// How long the text of one PDF may take.
pub const TEXT_TIME: Duration = Duration::from_secs(15);

/// Most characters of a file's text kept for search.
const TEXT_CHARS: usize = 1_000_000;

/// The largest PDF whose text is read: extraction holds the file and more in memory, so a
/// larger one is kept without its text (staff are told).
pub const TEXT_MAX_BYTES: u64 = 25 * 1024 * 1024;

/// Extractions at once. A permit is held by the extracting thread itself, so a PDF that
/// outlives [`TEXT_TIME`] still counts until its thread ends: the memory extraction takes is
/// bounded by this times what one file of at most [`TEXT_MAX_BYTES`] takes.
static EXTRACTIONS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The text of a PDF, off the async threads, within [`TEXT_TIME`] (waiting for a turn
/// included), its panics caught: a malformed or hostile PDF gives [`TextStatus::Failed`] and
/// never stalls or stops the server.
pub async fn pdf_text(bytes: Vec<u8>) -> (TextStatus, String) {
    if bytes.len() as u64 > TEXT_MAX_BYTES {
        return (TextStatus::Failed, String::new());
    }
    let work = async {
        let permit = EXTRACTIONS.acquire().await.ok()?;
        permit.forget();
        tokio::task::spawn_blocking(move || {
            let text = std::panic::catch_unwind(move || pdf_extract::extract_text_from_mem(&bytes));
            EXTRACTIONS.add_permits(1);
            text
        })
        .await
        .ok()
    };
    match tokio::time::timeout(TEXT_TIME, work).await {
        Ok(Some(Ok(Ok(text)))) => {
            let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if text.is_empty() {
                (TextStatus::None, String::new())
            } else {
                (TextStatus::Found, text.chars().take(TEXT_CHARS).collect())
            }
        }
        _ => (TextStatus::Failed, String::new()),
    }
}

/// Writes (or removes) the search document of publication `id`: its title, summary, authors
/// and its newest file's text, for whom its visibility admits; a draft is in no index.
pub async fn index(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    let Some(p) = sqlx::query_as::<_, Publication>(publication_select!("WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .filter(Publication::is_published)
    else {
        return search::remove(conn, "publication", id).await;
    };
    let text: String = sqlx::query_scalar(
        "SELECT COALESCE(MAX(body_text), '') FROM publication_files WHERE publication_id = $1 \
         AND version = (SELECT MAX(version) FROM publication_files WHERE publication_id = $1)",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let access = match p.visibility {
        Visibility::Public => vec![Access::Public],
        Visibility::Members => vec![Access::Members],
        Visibility::Cohorts => sqlx::query_scalar::<_, i64>(
            "SELECT cohort_id FROM publication_cohorts WHERE publication_id = $1",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(Access::Cohort)
        .collect(),
    };
    let summary = crate::text::markdown::Rendered::now(&p.summary).text;
    search::put(
        conn,
        &Doc {
            kind: "publication",
            ref_id: id,
            title: p.title.clone(),
            body: format!("{summary}\n\n{}\n\n{text}", p.authors),
            url: p.href(),
            context: p.kind.label().to_owned(),
            at: date_seconds(&p.published_on, p.updated_at),
            visible_from: 0,
            access,
        },
    )
    .await
}

/// Midnight UTC of a `YYYY-MM-DD` date, in Unix seconds (else `fallback`).
fn date_seconds(date: &str, fallback: i64) -> i64 {
    crate::time::Zone::parse("UTC")
        .and_then(|utc| utc.parse_local(&format!("{date}T00:00")))
        .unwrap_or(fallback)
}

/// Every publication's document (for `portal reindex`).
pub async fn reindex(conn: &mut AnyConnection) -> sqlx::Result<u64> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM publications ORDER BY id")
        .fetch_all(&mut *conn)
        .await?;
    for id in &ids {
        index(conn, *id).await?;
    }
    Ok(ids.len() as u64)
}
