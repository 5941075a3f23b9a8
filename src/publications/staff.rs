//! Publishing: staff list every publication (drafts too, with downloads), and publish or edit
//! one: its facts, visibility (everyone, members, chosen cohorts), status, and a file whose
//! every upload is a new version (the address serves the newest; staff see the earlier ones).

use askama::Template;
use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Path},
    response::Response,
    routing::{get, post},
};

use super::{BODY_LIMIT, Kind, MAX_BYTES, Publication, RULES, TextStatus};
use crate::{
    error::{AppError, AppResult, is_unique_violation},
    files::{self, StoredFile, UploadForm},
    news::images,
    policy::{self, Visibility},
    publication_select,
    state::AppState,
    text::{WebUrl, csv::Csv, markdown::Rendered, slug},
    web::{
        self, Ctx, FormErrors, Layout, Staff,
        door::{self, Steering},
        form::{self, Field, Fields},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/publications", get(list))
        .route(
            "/staff/publications/new",
            get(new_form)
                .post(create)
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route(
            "/staff/publications/{slug}/edit",
            get(edit_form)
                .post(update)
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route("/staff/publications/{slug}/unpublish", post(unpublish))
        .route(
            "/cohorts/{slug}/publish",
            get(cohort_form)
                .post(cohort_publish)
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route(
            "/cohorts/{slug}/publications/{publication}/edit",
            get(cohort_edit_form)
                .post(cohort_update)
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route("/staff/publications/downloads.csv", get(downloads_csv))
}

/// Takes a publication offline: a draft again (its address, file and versions kept), out of
/// the lists and the search, until it is published again.
async fn unpublish(Staff(ctx, person): Staff, Path(slug): Path<String>) -> AppResult<Response> {
    web::permit(policy::can_publish_publications(&person))?;
    let p = edited(&ctx, &slug).await?;
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query(
        "UPDATE publications SET status = 'draft', updated_at = $1 WHERE id = $2 AND status = 'published'",
    )
    .bind(ctx.state.clock.now())
    .bind(p.id)
    .execute(&mut *tx)
    .await?;
    super::index(&mut tx, p.id).await?;
    tx.commit().await?;
    ctx.flash(if done.rows_affected() == 1 {
        format!("“{}” is a draft now: only staff see it.", p.title)
    } else {
        format!("“{}” was already a draft.", p.title)
    })
    .await?;
    Ok(web::see_other(&format!("/staff/publications/{slug}/edit")))
}

/// Downloads per publication, city and month (in the organization's zone), for staff.
async fn downloads_csv(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish_publications(&person))?;
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT p.title, p.slug, COALESCE(c.name, ''), d.at FROM publication_downloads d \
         JOIN publications p ON p.id = d.publication_id LEFT JOIN cities c ON c.id = d.city_id",
    )
    .fetch_all(&ctx.state.pool)
    .await?;
    let zone = &ctx.state.config.time_zone;
    let mut counts: std::collections::BTreeMap<(String, String, String, String), i64> =
        std::collections::BTreeMap::new();
    for (title, slug, city, at) in rows {
        let month = zone.iso_date(at).chars().take(7).collect::<String>();
        let city = if city.is_empty() {
            "(staff or no city)".to_owned()
        } else {
            city
        };
        *counts.entry((month, title, slug, city)).or_default() += 1;
    }
    let mut csv = Csv::new(["Month", "Publication", "Address", "City", "Downloads"]);
    for ((month, title, slug, city), n) in counts {
        csv.row([
            month,
            title,
            format!("/publications/{slug}"),
            city,
            n.to_string(),
        ]);
    }
    Ok(csv.download("publication-downloads.csv"))
}

/// Who publishes: staff at `/staff/publications`, for any audience; or a facilitator from a
/// cohort's space, for the cohorts they lead only (published at once).
#[derive(Debug, Clone)]
enum Publisher {
    Staff,
    Cohort {
        /// The cohort's space it is published from: (address, name).
        from: (String, String),
        /// The cohorts this person may publish for.
        leads: Vec<i64>,
        /// The door they came through, asked again in the write.
        access: Box<crate::cohorts::Access>,
    },
}

impl Publisher {
    fn leads(&self) -> Option<&[i64]> {
        match self {
            Publisher::Staff => None,
            Publisher::Cohort { leads, .. } => Some(leads),
        }
    }
}

/// The cohorts `person` may publish for from a cohort's space (every cohort for staff).
async fn led_cohorts(
    conn: &mut sqlx::AnyConnection,
    person: &crate::viewer::Person,
) -> sqlx::Result<Vec<(i64, String)>> {
    let all: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT c.id, c.name, COALESCE(m.role, '') FROM cohorts c \
         LEFT JOIN cohort_members m ON m.cohort_id = c.id AND m.person_id = $1 \
         WHERE c.status <> 'archived' ORDER BY c.name, c.id",
    )
    .bind(person.id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(all
        .into_iter()
        .filter(|(_, _, role)| policy::can_publish_for_cohort(person, role == "facilitator"))
        .map(|(id, name, _)| (id, name))
        .collect())
}

/// A row of the staff's list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub slug: String,
    pub title: String,
    pub kind: Kind,
    pub visibility: Visibility,
    pub status: String,
    pub published_on: String,
    pub downloads: i64,
    pub cities: i64,
}

#[derive(Template)]
#[template(path = "publications/staff_list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
}

async fn list(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish_publications(&person))?;
    let rows = sqlx::query_as::<_, Row>(
        "SELECT p.slug, p.title, p.kind, p.visibility, p.status, p.published_on, \
         (SELECT COUNT(*) FROM publication_downloads d WHERE d.publication_id = p.id) AS downloads, \
         (SELECT COUNT(DISTINCT d.city_id) FROM publication_downloads d WHERE d.publication_id = p.id) AS cities \
         FROM publications p ORDER BY p.published_on DESC, p.id DESC LIMIT 1000",
    )
    .fetch_all(&ctx.state.pool)
    .await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = "Publications (staff)".to_owned();
    Ok(web::render(&ListPage { layout, rows }))
}

pub static FIELDS: Fields = Fields(&[
    Field {
        name: "title",
        label: "a title",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "slug",
        label: "the address",
        max_len: 80,
        required: false,
        lines: false,
    },
    Field {
        name: "summary",
        label: "the summary",
        max_len: 10_000,
        required: false,
        lines: true,
    },
    Field {
        name: "authors",
        label: "the authors",
        max_len: 300,
        required: false,
        lines: false,
    },
    Field {
        name: "external_url",
        label: "the link",
        max_len: 2000,
        required: false,
        lines: false,
    },
    images::ALT_FIELD,
]);

/// The form's values, as entered.
#[derive(Debug, Default, Clone)]
pub struct Values {
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub authors: String,
    pub published_on: String,
    pub kind: String,
    pub external_url: String,
    pub visibility: String,
    pub cohorts: Vec<i64>,
    pub topics: Vec<i64>,
    pub status: String,
    pub cover_alt: String,
    /// A picture uploaded with an earlier try of the form, kept while it is shown again.
    pub cover_image_id: Option<i64>,
    pub remove_cover: bool,
}

/// The ids ticked in a group of checkboxes (at most 200; anything not a number dropped).
fn ids(sent: &UploadForm, name: &str) -> Vec<i64> {
    sent.all(name)
        .iter()
        .filter_map(|v| v.parse().ok())
        .take(200)
        .collect()
}

impl Values {
    fn of(sent: &UploadForm) -> Values {
        Values {
            title: sent.get("title").to_owned(),
            slug: sent.get("slug").to_owned(),
            summary: sent.get("summary").to_owned(),
            authors: sent.get("authors").to_owned(),
            published_on: sent.get("published_on").to_owned(),
            kind: sent.get("kind").to_owned(),
            external_url: sent.get("external_url").to_owned(),
            visibility: sent.get("visibility").to_owned(),
            cohorts: ids(sent, "cohort"),
            topics: ids(sent, "topic"),
            status: sent.get("status").to_owned(),
            cover_alt: sent.get("cover_alt").to_owned(),
            cover_image_id: sent.get("cover_image_id").parse().ok(),
            remove_cover: sent.get("remove_cover") == "1",
        }
    }
}

#[derive(Template)]
#[template(path = "publications/staff_form.html")]
struct FormPage {
    layout: Layout,
    /// From a cohort's space: (address, name); the audience is the cohorts the person leads.
    from: Option<(String, String)>,
    /// The publication edited; `None` for a new one.
    editing: Option<Publication>,
    versions: Vec<(i64, String, i64, i64, String)>,
    values: Values,
    errors: FormErrors,
    fields: &'static Fields,
    kinds: [Kind; 5],
    visibilities: [Visibility; 3],
    cohorts: Vec<(i64, String)>,
    topics: Vec<(i64, String)>,
    max_size: String,
    /// The cover picture it has (editing), shown with a choice to remove it.
    cover: Option<crate::news::images::Cover>,
}

impl FormPage {
    pub fn action(&self) -> String {
        match (&self.from, &self.editing) {
            (Some((cohort, _)), Some(p)) => {
                format!("/cohorts/{cohort}/publications/{}/edit", p.slug)
            }
            (Some((cohort, _)), None) => format!("/cohorts/{cohort}/publish"),
            (None, Some(p)) => format!("/staff/publications/{}/edit", p.slug),
            (None, None) => "/staff/publications/new".to_owned(),
        }
    }
    pub fn file_label(&self) -> &'static str {
        if self.editing.is_some() {
            "A new version of the file (optional)"
        } else {
            "File (optional for a link)"
        }
    }
    pub fn file_hint(&self) -> String {
        format!(
            "A PDF, Word, Excel or PowerPoint document or a CSV file, of at most {}. The text of a PDF is searchable.",
            self.max_size
        )
    }
    pub fn size_words(size: &i64) -> String {
        files::human_size((*size).max(0) as u64)
    }
    pub fn text_words(status: &str) -> &'static str {
        match status {
            "found" => "its text is searchable",
            "none" => "a PDF with no text: search finds its title and summary only",
            "failed" => {
                "its text could not be read (a damaged PDF, or one over 25 MB): search finds its title and summary only"
            }
            _ => "not a PDF: search finds its title and summary",
        }
    }
}

async fn form_page(
    ctx: &Ctx,
    (editing, publisher): (Option<Publication>, &Publisher),
    values: Values,
    errors: FormErrors,
) -> AppResult<Response> {
    let pool = &ctx.state.pool;
    let mut cohorts: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM cohorts ORDER BY name, id")
            .fetch_all(pool)
            .await?;
    if let Some(leads) = publisher.leads() {
        cohorts.retain(|(id, _)| leads.contains(id));
    }
    let topics = sqlx::query_as("SELECT id, name FROM topics ORDER BY name, id")
        .fetch_all(pool)
        .await?;
    let versions = match &editing {
        Some(p) => sqlx::query_as(
            "SELECT v.version, f.name, f.size, v.added_at, v.text_status FROM publication_files v \
             JOIN files f ON f.id = v.file_id WHERE v.publication_id = $1 ORDER BY v.version DESC",
        )
        .bind(p.id)
        .fetch_all(pool)
        .await?,
        None => Vec::new(),
    };
    let mut layout = ctx.layout().await;
    let from = match publisher {
        Publisher::Cohort { from, .. } => Some(from.clone()),
        Publisher::Staff => None,
    };
    layout.meta.title = match (&editing, &from) {
        (Some(p), _) => format!("Edit {}", p.title),
        (None, Some((_, name))) => format!("Publish for {name}"),
        (None, None) => "Publish".to_owned(),
    };
    let cover = editing.as_ref().and_then(Publication::cover);
    let page = FormPage {
        cover,
        layout,
        from,
        editing,
        versions,
        values,
        errors,
        fields: &FIELDS,
        kinds: Kind::ALL,
        visibilities: Visibility::ALL,
        cohorts,
        topics,
        max_size: files::human_size(MAX_BYTES),
    };
    Ok(if page.errors.is_empty() {
        web::render(&page)
    } else {
        form::again(&page)
    })
}

async fn new_form(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish_publications(&person))?;
    let values = Values {
        kind: "report".to_owned(),
        visibility: "members".to_owned(),
        status: "draft".to_owned(),
        ..Values::default()
    };
    form_page(
        &ctx,
        (None, &Publisher::Staff),
        values,
        FormErrors::default(),
    )
    .await
}

async fn edited(ctx: &Ctx, slug: &str) -> AppResult<Publication> {
    sqlx::query_as::<_, Publication>(publication_select!("WHERE p.slug = $1"))
        .bind(slug)
        .fetch_optional(&ctx.state.pool)
        .await?
        .ok_or(AppError::NotFound)
}

async fn edit_form(Staff(ctx, person): Staff, Path(slug): Path<String>) -> AppResult<Response> {
    web::permit(policy::can_publish_publications(&person))?;
    let p = edited(&ctx, &slug).await?;
    let values = stored_values(&ctx, &p).await?;
    form_page(
        &ctx,
        (Some(p), &Publisher::Staff),
        values,
        FormErrors::default(),
    )
    .await
}

/// The form's values of a stored publication, to edit it.
async fn stored_values(ctx: &Ctx, p: &Publication) -> AppResult<Values> {
    let cohorts =
        sqlx::query_scalar("SELECT cohort_id FROM publication_cohorts WHERE publication_id = $1")
            .bind(p.id)
            .fetch_all(&ctx.state.pool)
            .await?;
    let topics =
        sqlx::query_scalar("SELECT topic_id FROM publication_topics WHERE publication_id = $1")
            .bind(p.id)
            .fetch_all(&ctx.state.pool)
            .await?;
    let values = Values {
        topics,
        title: p.title.clone(),
        slug: p.slug.clone(),
        summary: p.summary.clone(),
        authors: p.authors.clone(),
        published_on: p.published_on.clone(),
        kind: p.kind.as_str().to_owned(),
        external_url: p.external_url.clone(),
        visibility: p.visibility.as_str().to_owned(),
        cohorts,
        status: p.status.clone(),
        cover_alt: p.cover_alt.clone(),
        cover_image_id: None,
        remove_cover: false,
    };
    Ok(values)
}

/// The form as checked, ready to store.
struct Checked {
    title: String,
    slug: String,
    summary: Rendered,
    authors: String,
    published_on: String,
    kind: Kind,
    external_url: String,
    visibility: Visibility,
    cohorts: Vec<i64>,
    topics: Vec<i64>,
    published: bool,
    cover_image_id: Option<i64>,
    cover_alt: String,
}

/// The link as a browser reads it, or its message.
fn link(check: &mut form::Check, typed: &str) -> String {
    let link = check.text("external_url", typed);
    if link.is_empty() {
        return link;
    }
    match WebUrl::parse(&link) {
        Ok(url) => url.as_str().to_owned(),
        Err(_) => {
            check.add(
                "external_url",
                "Enter an address beginning with https:// or http://, like https://example.org/webinar.",
            );
            link
        }
    }
}

/// Who may read it: the visibility and, for cohorts, those chosen that exist (at least one).
async fn audience(
    state: &AppState,
    check: &mut form::Check,
    v: &Values,
    leads: Option<&[i64]>,
) -> AppResult<(Visibility, Vec<i64>)> {
    let visibility = Visibility::parse(v.visibility.trim());
    if let Some(leads) = leads {
        if visibility != Some(Visibility::Cohorts) {
            check.add(
                "visibility",
                "From a cohort's space, publish for the cohorts you lead; staff publish for members or everyone.",
            );
        } else if v.cohorts.iter().any(|c| !leads.contains(c)) {
            check.add(
                "visibility",
                "You may publish only for the cohorts you lead.",
            );
        }
    }
    let all: Vec<i64> = sqlx::query_scalar("SELECT id FROM cohorts")
        .fetch_all(&state.pool)
        .await?;
    let cohorts: Vec<i64> = v
        .cohorts
        .iter()
        .copied()
        .filter(|c| all.contains(c))
        .collect();
    match visibility {
        None => check.add("visibility", "Choose who may read it."),
        Some(Visibility::Cohorts) if cohorts.is_empty() => check.add(
            "visibility",
            "Choose at least one cohort, or another audience.",
        ),
        _ => {}
    }
    let cohorts = if visibility == Some(Visibility::Cohorts) {
        cohorts
    } else {
        Vec::new()
    };
    Ok((visibility.unwrap_or(Visibility::Members), cohorts))
}

/// The cover picture it will have (a new one, one sent with an earlier try of the form, the
/// one it has, or none when removed) and its description, or their messages. `v` keeps a
/// new picture for the form shown again.
async fn cover(
    (state, person): (&AppState, i64),
    check: &mut form::Check,
    v: &mut Values,
    (sent, own): (&mut UploadForm, Option<i64>),
) -> AppResult<(Option<i64>, String)> {
    let sent = sent
        .take_other("cover")
        .map(images::checked_upload)
        .transpose()?;
    images::take(
        state,
        person,
        (&mut v.cover_image_id, &mut v.remove_cover),
        (sent, own),
        check,
    )
    .await?;
    let id = match (v.cover_image_id, v.remove_cover) {
        (_, true) => None,
        (Some(id), false) => Some(id),
        (None, false) => own,
    };
    let alt = images::described(check, id, &v.cover_alt);
    Ok((id, alt))
}

async fn check(
    (state, person): (&AppState, i64),
    v: &mut Values,
    sent: &mut UploadForm,
    (has_file, own_cover, leads): (bool, Option<i64>, Option<&[i64]>),
) -> AppResult<(Result<Checked, FormErrors>, Option<StoredFile>)> {
    let mut check = FIELDS.check();
    let sender = (state, person);
    let (cover_image_id, cover_alt) = cover(sender, &mut check, v, (sent, own_cover)).await?;
    let title = check.text("title", &v.title);
    let typed = check.text("slug", &v.slug);
    let slug = if typed.is_empty() {
        slug::slugify(&title)
    } else {
        typed.clone()
    };
    if !check.has("slug") && !title.is_empty() && !slug::is_valid(&slug) {
        check.add("slug", "Use lower-case letters, digits and hyphens for the address, like lead-service-lines-2026.");
    }
    let summary = check.markdown("summary", &v.summary).await;
    let authors = check.text("authors", &v.authors);
    let published_on = check.date(
        "published_on",
        &v.published_on,
        true,
        "the date",
        "Enter the publication's date, such as 2026-11-30.",
    );
    let kind = Kind::parse(v.kind.trim());
    if kind.is_none() {
        check.add("kind", "Choose the type of publication.");
    }
    let external_url = link(&mut check, &v.external_url);
    let (visibility, cohorts) = audience(state, &mut check, v, leads).await?;
    let known: Vec<i64> = sqlx::query_scalar("SELECT id FROM topics")
        .fetch_all(&state.pool)
        .await?;
    let topics: Vec<i64> = v
        .topics
        .iter()
        .copied()
        .filter(|t| known.contains(t))
        .collect();
    let published = v.status == "published";
    let file = sent.take_file(&mut check, &RULES)?;
    if published && file.is_none() && !has_file && external_url.is_empty() && !check.has("file") {
        check.add(
            "file",
            "Add a file or a link before publishing, or keep it as a draft.",
        );
    }
    let checked = check.finish().map(|()| Checked {
        title,
        slug,
        summary,
        authors,
        published_on: published_on.unwrap_or_default(),
        kind: kind.unwrap_or(Kind::Report),
        external_url,
        visibility,
        cohorts,
        topics,
        published,
        cover_image_id,
        cover_alt,
    });
    Ok((checked, file))
}

/// The text of a PDF file for search, and what was found.
async fn file_text(state: &AppState, file: &StoredFile) -> AppResult<(TextStatus, String)> {
    if file.content_type != "application/pdf" {
        return Ok((TextStatus::NotPdf, String::new()));
    }
    if file.size.max(0) as u64 > super::TEXT_MAX_BYTES {
        return Ok((TextStatus::Failed, String::new()));
    }
    let bytes = files::read_all(&state.pool, file.id).await?;
    Ok(super::pdf_text(bytes).await)
}

/// Stores the publication's fields, cohorts and, with a file, its next version; then its
/// search document. `Ok(None)` when another publication has the address.
async fn store(
    tx: &mut sqlx::AnyConnection,
    id: Option<i64>,
    c: &Checked,
    (person, now): (i64, i64),
) -> AppResult<Option<i64>> {
    let status = if c.published { "published" } else { "draft" };
    let sql = if id.is_some() {
        "UPDATE publications SET slug = $1, title = $2, summary = $3, summary_html = $4, authors = $5, \
         published_on = $6, kind = $7, external_url = $8, visibility = $9, status = $10, updated_at = $11, \
         cover_image_id = $13, cover_alt = $14 WHERE id = $12 RETURNING id"
    } else {
        "INSERT INTO publications (slug, title, summary, summary_html, authors, published_on, kind, \
         external_url, visibility, status, created_by, created_at, updated_at, cover_image_id, cover_alt) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, $11, $11, $13, $14) RETURNING id"
    };
    let result = sqlx::query_scalar::<_, i64>(sql)
        .bind(&c.slug)
        .bind(&c.title)
        .bind(&c.summary.source)
        .bind(&c.summary.html)
        .bind(&c.authors)
        .bind(&c.published_on)
        .bind(c.kind)
        .bind(&c.external_url)
        .bind(c.visibility)
        .bind(status)
        .bind(now)
        .bind(id.unwrap_or(person))
        .bind(c.cover_image_id)
        .bind(&c.cover_alt)
        .fetch_optional(&mut *tx)
        .await;
    let id = match result {
        Ok(Some(id)) => id,
        Ok(None) => return Err(AppError::NotFound),
        Err(e) if is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    sqlx::query("DELETE FROM publication_cohorts WHERE publication_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for cohort in &c.cohorts {
        sqlx::query("INSERT INTO publication_cohorts (publication_id, cohort_id) VALUES ($1, $2)")
            .bind(id)
            .bind(cohort)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM publication_topics WHERE publication_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for topic in &c.topics {
        sqlx::query("INSERT INTO publication_topics (publication_id, topic_id) VALUES ($1, $2)")
            .bind(id)
            .bind(topic)
            .execute(&mut *tx)
            .await?;
    }
    Ok(Some(id))
}

/// Adds the file as the publication's next version.
async fn add_version(
    tx: &mut sqlx::AnyConnection,
    id: i64,
    file: &StoredFile,
    (text_status, text): (TextStatus, String),
    (person, now): (i64, i64),
) -> AppResult<bool> {
    if !files::attach(tx, file.id).await? {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO publication_files (publication_id, file_id, version, added_by, added_at, text_status, body_text) \
         VALUES ($1, $2, (SELECT COALESCE(MAX(version), 0) + 1 FROM publication_files WHERE publication_id = $1), $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(file.id)
    .bind(person)
    .bind(now)
    .bind(text_status.as_str())
    .bind(text)
    .execute(&mut *tx)
    .await?;
    Ok(true)
}

/// Publishes or saves: the new one (`editing` `None`) or the one edited.
async fn save(
    ctx: Ctx,
    person: crate::viewer::Person,
    (editing, publisher): (Option<Publication>, Publisher),
    multipart: Multipart,
) -> AppResult<Response> {
    let state = &ctx.state;
    let mut sent =
        files::read_form_with(state, multipart, &RULES, &[("cover", &images::UPLOAD)]).await?;
    let mut values = Values::of(&sent);
    if publisher.leads().is_some() {
        // From a cohort's space: published at once; an edit keeps the status it has.
        values.status = editing
            .as_ref()
            .map_or("published", |p| p.status.as_str())
            .to_owned();
    }
    let has_file = editing.as_ref().is_some_and(|p| p.file_id.is_some());
    let own_cover = editing.as_ref().and_then(|p| p.cover_image_id);
    let (checked, file) = check(
        (state, person.id),
        &mut values,
        &mut sent,
        (has_file, own_cover, publisher.leads()),
    )
    .await?;
    let c = match checked {
        Ok(c) => c,
        Err(errors) => {
            crate::files::discard(state, file).await?;
            return form_page(&ctx, (editing, &publisher), values, errors).await;
        }
    };
    let text = match &file {
        Some(f) => Some(file_text(state, f).await?),
        None => None,
    };
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    let editing_id = editing.as_ref().map(|p| p.id);
    if let Err(e) = recheck(&mut tx, &person, (&publisher, &c, editing_id)).await {
        drop(tx);
        crate::files::discard(state, file).await?;
        return Err(e);
    }
    let Some(id) = store(&mut tx, editing_id, &c, (person.id, now)).await? else {
        tx.rollback().await?;
        crate::files::discard(state, file).await?;
        let mut errors = FormErrors::default();
        errors.add(
            "slug",
            "Another publication has this address: choose another.",
        );
        return form_page(&ctx, (editing, &publisher), values, errors).await;
    };
    if let (Some(f), Some(text)) = (&file, text)
        && !add_version(&mut tx, id, f, text, (person.id, now)).await?
    {
        tx.rollback().await?;
        let mut errors = FormErrors::default();
        errors.add("file", "The upload was interrupted. Try again.");
        return form_page(&ctx, (editing, &publisher), values, errors).await;
    }
    super::emails::announce(&mut tx, state, id, person.id).await?;
    super::index(&mut tx, id).await?;
    tx.commit().await?;
    ctx.flash(if c.published {
        format!("“{}” is published.", c.title)
    } else {
        format!("“{}” is saved as a draft.", c.title)
    })
    .await?;
    Ok(web::see_other(&format!("/publications/{}", c.slug)))
}

/// Asks again, inside the write, whether the person may still publish this way: an upload
/// of 100 MB does not outlive a deactivation, or a facilitator's removal from the cohort.
async fn recheck(
    tx: &mut sqlx::AnyConnection,
    person: &crate::viewer::Person,
    (publisher, c, editing): (&Publisher, &Checked, Option<i64>),
) -> AppResult<()> {
    let Publisher::Cohort { access, .. } = publisher else {
        let now = door::person_again(tx, person).await?;
        return web::permit(policy::can_publish_publications(&now));
    };
    let (now, _) = door::again(tx, person, access.as_ref(), door::Level::Steer).await?;
    let leads: Vec<i64> = led_cohorts(tx, &now)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    // The cohorts it is saved for, and those it is for now (another's change meanwhile): all
    // still led, and an edited one still a published publication for cohorts (its row held
    // until the write ends).
    let mut asked = c.cohorts.clone();
    let mut theirs = true;
    if let Some(id) = editing {
        let stored: Option<(Visibility, String)> = sqlx::query_as(
            "UPDATE publications SET updated_at = updated_at WHERE id = $1 RETURNING visibility, status",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        theirs =
            stored.is_some_and(|(v, status)| v == Visibility::Cohorts && status == "published");
        asked.extend(
            sqlx::query_scalar::<_, i64>(
                "SELECT cohort_id FROM publication_cohorts WHERE publication_id = $1",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?,
        );
    }
    let leads_all = asked.iter().all(|c| leads.contains(c));
    if !policy::can_edit_cohort_publication(&now, (leads_all && theirs, true)) {
        return Err(AppError::NotFound);
    }
    Ok(())
}

async fn create(Staff(ctx, person): Staff, multipart: Multipart) -> AppResult<Response> {
    web::permit(policy::can_publish_publications(&person))?;
    save(ctx, person, (None, Publisher::Staff), multipart).await
}

/// The cohort's space's publishing form, for its facilitators (and staff).
async fn cohort_form(
    Steering(ctx, person, access): Steering<crate::cohorts::Access>,
) -> AppResult<Response> {
    let publisher = cohort_publisher(&ctx, &person, &access).await?;
    let values = Values {
        kind: "toolkit".to_owned(),
        visibility: "cohorts".to_owned(),
        cohorts: vec![access.cohort.id],
        status: "published".to_owned(),
        ..Values::default()
    };
    form_page(&ctx, (None, &publisher), values, FormErrors::default()).await
}

async fn cohort_publish(
    Steering(ctx, person, access): Steering<crate::cohorts::Access>,
    multipart: Multipart,
) -> AppResult<Response> {
    let publisher = cohort_publisher(&ctx, &person, &access).await?;
    save(ctx, person, (None, publisher), multipart).await
}

/// A facilitator publishing from the cohort's space of `access`.
async fn cohort_publisher(
    ctx: &Ctx,
    person: &crate::viewer::Person,
    access: &crate::cohorts::Access,
) -> AppResult<Publisher> {
    let leads = led_cohorts(&mut *ctx.state.pool.acquire().await?, person).await?;
    Ok(Publisher::Cohort {
        from: (access.cohort.slug.clone(), access.cohort.name.clone()),
        leads: leads.iter().map(|(id, _)| *id).collect(),
        access: Box::new(access.clone()),
    })
}

/// The publication at `slug` for editing from the cohort's space of `access`: one for this
/// cohort whose every cohort the person leads ([`policy::can_edit_cohort_publication`]);
/// anything else is the 404 of a publication that is not there.
async fn led_publication(
    ctx: &Ctx,
    person: &crate::viewer::Person,
    access: &crate::cohorts::Access,
    slug: &str,
) -> AppResult<(Publication, Publisher)> {
    let publisher = cohort_publisher(ctx, person, access).await?;
    let p = edited(ctx, slug).await?;
    let cohorts = cohorts_of(&ctx.state, &p).await?;
    let leads = publisher.leads().unwrap_or_default();
    let leads_all = cohorts.iter().any(|(c, _)| *c == access.cohort.id)
        && cohorts.iter().all(|(c, _)| leads.contains(c));
    if !policy::can_edit_cohort_publication(person, (leads_all, p.is_published())) {
        return Err(AppError::NotFound);
    }
    Ok((p, publisher))
}

/// The cohorts a publication for cohorts is for: (id, address); none for any other.
async fn cohorts_of(state: &AppState, p: &Publication) -> sqlx::Result<Vec<(i64, String)>> {
    if p.visibility != Visibility::Cohorts {
        return Ok(Vec::new());
    }
    sqlx::query_as(
        "SELECT c.id, c.slug FROM publication_cohorts pc JOIN cohorts c ON c.id = pc.cohort_id \
         WHERE pc.publication_id = $1 ORDER BY c.name, c.id",
    )
    .bind(p.id)
    .fetch_all(&state.pool)
    .await
}

/// Where this person edits the publication: staff at `/staff/publications`, a facilitator
/// who leads all its cohorts from the first one's space; `None` for everyone else.
pub async fn edit_href(
    state: &AppState,
    person: &crate::viewer::Person,
    p: &Publication,
) -> sqlx::Result<Option<String>> {
    if policy::can_publish_publications(person) {
        return Ok(Some(format!("/staff/publications/{}/edit", p.slug)));
    }
    let cohorts = cohorts_of(state, p).await?;
    if cohorts.is_empty() {
        return Ok(None);
    }
    let leads = led_cohorts(&mut *state.pool.acquire().await?, person).await?;
    let leads_all = cohorts
        .iter()
        .all(|(c, _)| leads.iter().any(|(l, _)| l == c));
    Ok(
        policy::can_edit_cohort_publication(person, (leads_all, p.is_published()))
            .then(|| format!("/cohorts/{}/publications/{}/edit", cohorts[0].1, p.slug)),
    )
}

/// A cohort publication's form, for the facilitators who lead all its cohorts: its facts,
/// picture and a new version of its file.
async fn cohort_edit_form(
    Steering(ctx, person, access): Steering<crate::cohorts::Access>,
    Path((_, slug)): Path<(String, String)>,
) -> AppResult<Response> {
    let (p, publisher) = led_publication(&ctx, &person, &access, &slug).await?;
    let values = stored_values(&ctx, &p).await?;
    form_page(&ctx, (Some(p), &publisher), values, FormErrors::default()).await
}

async fn cohort_update(
    Steering(ctx, person, access): Steering<crate::cohorts::Access>,
    Path((_, slug)): Path<(String, String)>,
    multipart: Multipart,
) -> AppResult<Response> {
    let (p, publisher) = led_publication(&ctx, &person, &access, &slug).await?;
    save(ctx, person, (Some(p), publisher), multipart).await
}

async fn update(
    Staff(ctx, person): Staff,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> AppResult<Response> {
    web::permit(policy::can_publish_publications(&person))?;
    let p = edited(&ctx, &slug).await?;
    save(ctx, person, (Some(p), Publisher::Staff), multipart).await
}
