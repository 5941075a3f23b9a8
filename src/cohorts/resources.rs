//! A cohort's resources: files (up to 25 MB, kept in the file store) and links, each with a
//! title and a note. Whoever may write in the space adds them; the one who added a resource,
//! facilitators and staff remove it. Files are served only through [`super::enter`], so a
//! person who may not enter the cohort gets the 404 of a missing file, cached copy or not.

use crate::web::door::{self, Inside, Level, Writing};
use askama::Template;
use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Path, Query},
    http::HeaderMap,
    response::Response,
    routing::get,
};
use serde::Deserialize;
use sqlx::AnyConnection;

use super::{
    Access, Cohort,
    space::{SpaceNav, nav},
};
use crate::{
    error::{AppError, AppResult},
    files::{self, FileError, StoredFile},
    policy,
    state::AppState,
    text::{WebUrl, markdown},
    viewer::Person,
    web::{
        self, Ctx, FormErrors, Layout,
        form::Form,
        form::{self, Field, Fields},
        paging,
    },
};

/// Largest file, in bytes.
pub const MAX_BYTES: u64 = 25 * 1024 * 1024;

/// The request body the upload route accepts: the file and the form's other fields. Only
/// that route is raised to it (see also the hard ceiling in `crate::app`).
pub const BODY_LIMIT: usize = MAX_BYTES as usize + 256 * 1024;

/// What the store accepts as a resource, by the type found from the bytes: PDF, Office and
/// OpenDocument files (an Office file whose parts `infer` does not reach is a plain ZIP, an
/// older one an OLE container), PNG and JPEG pictures, and text such as CSV, which no bytes
/// announce (`application/octet-stream`). Downloads are attachments with nosniff, so no
/// browser runs what it receives. HTML, SVG and programs are refused.
pub const RULES: files::Rules = files::Rules {
    max_bytes: MAX_BYTES,
    types: files::DOCUMENT_TYPES,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cohorts/{slug}/resources", get(list))
        .route(
            "/cohorts/{slug}/resources/add-file",
            get(file_form)
                .post(add_file)
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route(
            "/cohorts/{slug}/resources/add-link",
            get(link_form).post(add_link),
        )
        .route(
            "/cohorts/{slug}/resources/{resource_id}/file",
            get(download),
        )
        .route(
            "/cohorts/{slug}/resources/{resource_id}/remove",
            get(remove_form).post(remove),
        )
}

/// A resource as pages show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Resource {
    pub id: i64,
    pub cohort_id: i64,
    pub title: String,
    pub note: String,
    pub note_html: Option<String>,
    pub url: Option<String>,
    pub file_id: Option<i64>,
    pub added_by: i64,
    pub added_by_name: String,
    pub created_at: i64,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
}

/// The columns of [`Resource`], from `cohort_resources r`, `people p` and `files f`.
macro_rules! resource_select {
    ($rest:literal) => {
        concat!(
            "SELECT r.id, r.cohort_id, r.title, r.note, r.note_html, r.url, r.file_id, r.added_by, \
             p.name AS added_by_name, r.created_at, f.name AS file_name, f.content_type, f.size \
             FROM cohort_resources r JOIN people p ON p.id = r.added_by \
             LEFT JOIN files f ON f.id = r.file_id ",
            $rest
        )
    };
}

impl Resource {
    /// Where the title leads: the file's download, or the link as a browser reads it (a
    /// stored link that is no longer a [`WebUrl`] leads back to the resources).
    pub fn href(&self, slug: &str) -> String {
        match &self.url {
            Some(url) => WebUrl::parse(url).map_or_else(
                |_| format!("/cohorts/{slug}/resources"),
                |url| url.as_str().to_owned(),
            ),
            None => format!("/cohorts/{slug}/resources/{}/file", self.id),
        }
    }

    pub fn is_link(&self) -> bool {
        self.url.is_some()
    }

    /// "PDF · 1.2 MB", or the link's host.
    pub fn details(&self) -> String {
        match &self.url {
            Some(url) => WebUrl::parse(url).map_or_else(
                |_| "Link".to_owned(),
                |url| format!("Link · {}", url.host()),
            ),
            None => format!(
                "{} · {}",
                kind(
                    self.content_type.as_deref().unwrap_or_default(),
                    self.file_name.as_deref().unwrap_or_default()
                ),
                files::human_size(self.size.unwrap_or(0).max(0) as u64)
            ),
        }
    }
}

pub use crate::files::kind;

/// A cohort's resources, newest first; at most `limit`.
pub async fn of_cohort(
    conn: &mut AnyConnection,
    cohort_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<Resource>> {
    sqlx::query_as::<_, Resource>(resource_select!(
        "WHERE r.cohort_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT $2"
    ))
    .bind(cohort_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Resources on a page of the list.
const PAGE: i64 = 25;

/// A page of a cohort's resources, newest first.
async fn page_of(
    conn: &mut AnyConnection,
    cohort_id: i64,
    request: &paging::Request,
) -> sqlx::Result<paging::Page<Resource>> {
    let sql = if request.reads_ascending() {
        resource_select!(
            "WHERE r.cohort_id = $1 AND (r.created_at, r.id) > ($2, $3) \
             ORDER BY r.created_at ASC, r.id ASC LIMIT $4"
        )
    } else {
        resource_select!(
            "WHERE r.cohort_id = $1 AND (r.created_at, r.id) < ($2, $3) \
             ORDER BY r.created_at DESC, r.id DESC LIMIT $4"
        )
    };
    let bound = request.bound();
    let rows = sqlx::query_as::<_, Resource>(sql)
        .bind(cohort_id)
        .bind(bound.key)
        .bind(bound.id)
        .bind(request.limit())
        .fetch_all(conn)
        .await?;
    Ok(paging::Page::from_rows(request, rows, |r| {
        paging::Cursor::new(r.created_at, r.id)
    }))
}

/// One resource of this cohort, or the 404 of a missing one.
async fn one(state: &AppState, access: &Access, id: i64) -> AppResult<Resource> {
    sqlx::query_as::<_, Resource>(resource_select!("WHERE r.id = $1 AND r.cohort_id = $2"))
        .bind(id)
        .bind(access.cohort.id)
        .fetch_optional(&state.pool)
        .await?
        .ok_or(AppError::NotFound)
}

/// A resource in the list, with its note rendered and what this reader may do with it.
pub struct Shown {
    pub resource: Resource,
    pub note_html: String,
    pub can_remove: bool,
}

#[derive(Template)]
#[template(path = "cohorts/resources.html")]
struct ListPage {
    layout: Layout,
    nav: SpaceNav,
    cohort: Cohort,
    resources: Vec<Shown>,
    newer: Option<String>,
    older: Option<String>,
    can_add: bool,
    /// Facilitators (and staff) publish for the cohort from here.
    can_publish: bool,
    /// "1.2 GB of 2 GB used", for facilitators and staff.
    storage: Option<String>,
}

async fn list(
    Inside(ctx, person, access): Inside<Access>,
    Query(q): Query<paging::PageQuery>,
) -> AppResult<Response> {
    let request = q.request(paging::Order::Descending, PAGE)?;
    let nav = nav(&ctx.state, &person, &access, "resources").await?;
    let mut conn = ctx.state.pool.acquire().await?;
    let page = page_of(&mut conn, access.cohort.id, &request).await?;
    if page.items.is_empty() && !request.is_first() {
        return Err(AppError::NotFound);
    }
    let base = format!("/cohorts/{}/resources", access.cohort.slug);
    let (newer, older) = (page.previous_href(&base), page.next_href(&base));
    let storage = if policy::can_facilitate_cohort(&person, access.standing) {
        let used = storage_used(&mut conn, access.cohort.id).await?;
        Some(usage_words(used, quota(&ctx.state)))
    } else {
        None
    };
    drop(conn);
    let resources = page
        .items
        .into_iter()
        .map(|resource| Shown {
            note_html: markdown::stored_or_render(resource.note_html.clone(), &resource.note),
            can_remove: policy::can_remove_cohort_resource(
                &person,
                access.standing,
                resource.added_by == person.id,
            ),
            resource,
        })
        .collect();
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Resources: {}", access.cohort.name);
    Ok(web::render(&ListPage {
        layout,
        nav,
        can_add: access.can_write(&person),
        can_publish: access.can_write(&person) && access.can_facilitate(&person),
        cohort: access.cohort,
        resources,
        newer,
        older,
        storage,
    }))
}

/// The file form's text fields.
pub static FILE_FIELDS: Fields = Fields(&[
    Field {
        name: "title",
        label: "a title",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "note",
        label: "the note",
        max_len: 5000,
        required: false,
        lines: true,
    },
]);

/// The link form's fields.
pub static LINK_FIELDS: Fields = Fields(&[
    Field {
        name: "title",
        label: "a title",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "url",
        label: "the link's address",
        max_len: 2000,
        required: true,
        lines: false,
    },
    Field {
        name: "note",
        label: "the note",
        max_len: 5000,
        required: false,
        lines: true,
    },
]);

#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Template)]
#[template(path = "cohorts/resources_add.html")]
struct AddPage {
    layout: Layout,
    nav: SpaceNav,
    cohort: Cohort,
    /// The link form, or the file form.
    link: bool,
    form: AddForm,
    errors: FormErrors,
    fields: &'static Fields,
    max_size: String,
}

async fn add_page(
    ctx: &Ctx,
    person: &Person,
    access: Access,
    link: bool,
    form: AddForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let nav = nav(&ctx.state, person, &access, "resources").await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!(
        "{}: {}",
        if link { "Add a link" } else { "Add a file" },
        access.cohort.name
    );
    let fields = if link { &LINK_FIELDS } else { &FILE_FIELDS };
    let kept = AddForm {
        title: fields.keep("title", &form.title),
        url: if link {
            fields.keep("url", &form.url)
        } else {
            String::new()
        },
        note: fields.keep("note", &form.note),
    };
    let page = AddPage {
        layout,
        nav,
        cohort: access.cohort,
        link,
        form: kept,
        fields,
        max_size: files::human_size(MAX_BYTES),
        errors,
    };
    Ok(if page.errors.is_empty() {
        web::render(&page)
    } else {
        form::again(&page)
    })
}

async fn file_form(Writing(ctx, person, access): Writing<Access>) -> AppResult<Response> {
    add_page(
        &ctx,
        &person,
        access,
        false,
        AddForm::default(),
        FormErrors::default(),
    )
    .await
}

async fn link_form(Writing(ctx, person, access): Writing<Access>) -> AppResult<Response> {
    add_page(
        &ctx,
        &person,
        access,
        true,
        AddForm::default(),
        FormErrors::default(),
    )
    .await
}

/// The file form as read: its text fields (as sent, for the form's rules), and the file
/// stored as it arrived, or why not.
struct Upload {
    form: AddForm,
    file: Option<Result<StoredFile, FileError>>,
}

/// Reads the file form; the file goes to the store chunk by chunk as it arrives.
async fn read_upload(state: &AppState, multipart: Multipart) -> AppResult<Upload> {
    let sent =
        files::read_multipart(&state.pool, state.clock.now(), multipart, "file", &RULES).await?;
    let mut upload = Upload {
        form: AddForm::default(),
        file: sent.file,
    };
    for (name, text) in sent.fields {
        // Checked (and cleaned) by the form's rules, as every text is.
        match name.as_str() {
            "title" => upload.form.title = text,
            "note" => upload.form.note = text,
            _ => {}
        }
    }
    Ok(upload)
}

/// Why a file was not taken, for the person.
fn file_message(e: &FileError) -> String {
    files::document_refusal(e, &RULES)
}

/// Bytes of files a cohort's resources hold (PostgreSQL sums BIGINT as NUMERIC, which `Any`
/// does not decode: hence the cast).
async fn storage_used(conn: &mut AnyConnection, cohort_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM cohort_resources r \
         JOIN files f ON f.id = r.file_id WHERE r.cohort_id = $1",
    )
    .bind(cohort_id)
    .fetch_one(conn)
    .await
}

/// The cohort's storage quota (`--cohort-quota-mb`), in bytes.
fn quota(state: &AppState) -> i64 {
    (state.config.cohort_quota_mb.saturating_mul(1024 * 1024)).min(i64::MAX as u64) as i64
}

/// "1.2 GB of 2 GB used".
fn usage_words(used: i64, quota: i64) -> String {
    format!(
        "{} of {} used",
        files::human_size(used.max(0) as u64),
        files::human_size(quota.max(0) as u64)
    )
}

/// Inside the write that stores a file of `size` bytes: whether the cohort has room for it,
/// or the message saying why not. Parallel uploads are serialized per cohort (a lock on
/// PostgreSQL; SQLite's write transaction), so that together they never pass the quota.
async fn room_for(
    tx: &mut AnyConnection,
    state: &AppState,
    cohort_id: i64,
    size: i64,
) -> AppResult<Result<(), String>> {
    crate::db::lock_key(tx, state.backend, &format!("cohort-storage:{cohort_id}")).await?;
    let used = storage_used(tx, cohort_id).await?;
    let quota = quota(state);
    if used.saturating_add(size) <= quota {
        return Ok(Ok(()));
    }
    Ok(Err(format!(
        "The cohort's storage is full for this file ({}): {}. Remove files the cohort no \
         longer needs, or share a link instead.",
        files::human_size(size.max(0) as u64),
        usage_words(used, quota)
    )))
}

async fn add_file(
    Writing(ctx, person, access): Writing<Access>,
    Path(slug): Path<String>,
    multipart: Multipart,
) -> AppResult<Response> {
    let Upload { form, file } = read_upload(&ctx.state, multipart).await?;
    let mut check = FILE_FIELDS.check();
    let title = check.text("title", &form.title);
    let file = match file {
        None => {
            check.add("file", "Choose a file to add.");
            None
        }
        Some(Err(FileError::Database(e))) => return Err(e.into()),
        Some(Err(e)) => {
            check.add("file", file_message(&e));
            None
        }
        Some(Ok(file)) => Some(file),
    };
    let note = check.markdown("note", &form.note).await;
    let file = match (check.finish(), file) {
        (Ok(()), Some(file)) => file,
        (result, file) => {
            // Nothing of a refused form is kept.
            if let Some(file) = file {
                files::discard(&ctx.state, Some(file)).await?;
            }
            let errors = result.err().unwrap_or_default();
            return add_page(&ctx, &person, access, false, form, errors).await;
        }
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    // The door again, in the write: a person removed, deactivated or lapsed during a long
    // upload adds nothing.
    door::again(&mut tx, &person, &access, Level::Write).await?;
    if let Err(message) = room_for(&mut tx, &ctx.state, access.cohort.id, file.size).await? {
        tx.rollback().await?;
        files::discard(&ctx.state, Some(file)).await?;
        let mut errors = FormErrors::default();
        errors.add("file", message);
        return add_page(&ctx, &person, access, false, form, errors).await;
    }
    if !files::attach(&mut tx, file.id).await? {
        tx.rollback().await?;
        let mut errors = FormErrors::default();
        errors.add("file", "The upload was interrupted. Try again.");
        return add_page(&ctx, &person, access, false, form, errors).await;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cohort_resources (cohort_id, title, note, note_html, url, file_id, added_by, created_at) \
         VALUES ($1, $2, $3, $4, NULL, $5, $6, $7) RETURNING id",
    )
    .bind(access.cohort.id)
    .bind(&title)
    .bind(&note.source)
    .bind(&note.html)
    .bind(file.id)
    .bind(person.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    super::search::index_resource(&mut tx, id).await?;
    tx.commit().await?;
    ctx.flash(format!("“{title}” is added to the resources."))
        .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/resources")))
}

async fn add_link(
    Writing(ctx, person, access): Writing<Access>,
    Path(slug): Path<String>,
    Form(form): Form<AddForm>,
) -> AppResult<Response> {
    let mut check = LINK_FIELDS.check();
    let title = check.text("title", &form.title);
    let url = check.text("url", &form.url);
    // Kept as a browser reads it, so that the host shown is where the link leads.
    let url = match WebUrl::parse(&url) {
        Ok(parsed) => parsed.as_str().to_owned(),
        Err(_) => {
            if !check.has("url") {
                check.add(
                    "url",
                    "Enter an address beginning with https:// or http://, like https://example.org/report.",
                );
            }
            url
        }
    };
    let note = check.markdown("note", &form.note).await;
    if let Err(errors) = check.finish() {
        return add_page(&ctx, &person, access, true, form, errors).await;
    }
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    // The door again, in the write: a person removed, deactivated or lapsed during a long
    // upload adds nothing.
    door::again(&mut tx, &person, &access, Level::Write).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cohort_resources (cohort_id, title, note, note_html, url, file_id, added_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, $6, $7) RETURNING id",
    )
    .bind(access.cohort.id)
    .bind(&title)
    .bind(&note.source)
    .bind(&note.html)
    .bind(&url)
    .bind(person.id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    super::search::index_resource(&mut tx, id).await?;
    tx.commit().await?;
    ctx.flash(format!("“{title}” is added to the resources."))
        .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/resources")))
}

/// A resource's file, to those who may enter the cohort: everyone else gets the 404 of a
/// missing file before any header of the file (its ETag included) is looked at.
async fn download(
    Inside(ctx, _, access): Inside<Access>,
    Path((_, resource_id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let resource = one(&ctx.state, &access, resource_id).await?;
    let file_id = resource.file_id.ok_or(AppError::NotFound)?;
    let file = files::find(&ctx.state.pool, file_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Always saved, never shown in the page: a resource is a download, pictures included.
    Ok(files::serve(
        &ctx.state.pool,
        &file,
        &headers,
        files::Audience::Restricted,
        files::Disposition::Attachment,
    ))
}

/// The resource, when this person may remove it: the cohort must be open for writing (403
/// otherwise), and the person must have added it or facilitate the cohort (403).
async fn removable(
    state: &AppState,
    person: &Person,
    access: Access,
    resource_id: i64,
) -> AppResult<(Access, Resource)> {
    let resource = one(state, &access, resource_id).await?;
    web::permit(policy::can_remove_cohort_resource(
        person,
        access.standing,
        resource.added_by == person.id,
    ))?;
    Ok((access, resource))
}

/// The confirmation before a resource is removed.
async fn remove_form(
    Writing(ctx, person, access): Writing<Access>,
    Path((_, resource_id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let (access, resource) = removable(&ctx.state, &person, access, resource_id).await?;
    let layout = ctx.layout().await;
    let cohort = &access.cohort;
    let list = format!("{}/resources", cohort.href());
    Ok(web::confirm::Confirm {
        explanation: format!(
            "{} ({}), added by {} on {}, will no longer be among the cohort's resources. This cannot be undone.",
            if resource.is_link() { "The link" } else { "The file" },
            resource.details(),
            resource.added_by_name,
            layout.date(&resource.created_at)
        ),
        layout,
        title: format!("Remove “{}” from {}", resource.title, cohort.name),
        heading: format!("Remove “{}”?", resource.title),
        action: format!("{list}/{}/remove", resource.id),
        button: format!("Remove “{}”", resource.title),
        back: list.clone(),
        back_label: "Keep it".to_owned(),
        crumb: Some((list, format!("Resources of {}", cohort.name))),
        detail: None,
        note: None,
    }
    .render())
}

/// Removes a resource once; its file goes back to the store's sweeper.
async fn remove(
    Writing(ctx, person, access): Writing<Access>,
    Path((slug, resource_id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let (_, resource) = removable(&ctx.state, &person, access, resource_id).await?;
    let mut tx = ctx.state.begin_write().await?;
    let gone = sqlx::query("DELETE FROM cohort_resources WHERE id = $1 AND cohort_id = $2")
        .bind(resource.id)
        .bind(resource.cohort_id)
        .execute(&mut *tx)
        .await?;
    if gone.rows_affected() == 1
        && let Some(file_id) = resource.file_id
    {
        files::release(&mut tx, file_id).await?;
    }
    super::search::index_resource(&mut tx, resource.id).await?;
    tx.commit().await?;
    ctx.flash(format!(
        "“{}” is removed from the resources.",
        resource.title
    ))
    .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/resources")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_named_by_its_type_and_for_text_by_its_name() {
        assert_eq!(kind("application/pdf", "x.bin"), "PDF");
        assert_eq!(kind("application/octet-stream", "rates.CSV"), "CSV file");
        assert_eq!(kind("application/zip", "plan.docx"), "Word document");
        assert_eq!(kind("application/octet-stream", "blob"), "File");
    }
}
