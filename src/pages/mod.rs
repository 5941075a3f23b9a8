//! The organization's simple pages (About us, Contact, Privacy, Accessibility statement, and
//! the public descriptions of the member areas): written by staff in Markdown, each with a
//! slug, a place in the header or footer (or neither), and a draft state. Published pages are
//! public at `/pages/{slug}`; a draft is shown only to staff, and is the 404 of a missing page
//! to everyone else.

use askama::Template;
use axum::{
    Router,
    extract::Path,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::{AnyConnection, AnyPool};

use crate::{
    error::{AppError, AppResult, is_unique_violation},
    policy,
    state::AppState,
    text::{
        markdown::{self, Preview},
        slug,
    },
    web::{
        self, FormErrors, Layout, Staff, Viewer,
        form::{self, Field, Fields, Form},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/pages/{slug}", get(show))
        .route("/staff/pages", get(list).post(create))
        .route("/staff/pages/new", get(new_form))
        .route("/staff/pages/{id}/edit", get(edit_form))
        .route("/staff/pages/{id}", post(update))
        .route("/staff/pages/{id}/delete", get(delete_form).post(delete))
        .route(
            "/staff/pages/{id}/unpublish",
            get(unpublish_form).post(unpublish),
        )
}

/// Where a page's link appears.
pub const PLACEMENTS: [(&str, &str); 3] = [
    ("footer", "In the footer"),
    ("header", "In the header's navigation"),
    ("none", "Nowhere (linked from other pages)"),
];

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Page {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub body: String,
    pub placement: String,
    pub position: i64,
    pub status: String,
}

impl Page {
    pub fn is_draft(&self) -> bool {
        self.status != "published"
    }

    pub fn placement_label(&self) -> &'static str {
        PLACEMENTS
            .iter()
            .find(|(p, _)| *p == self.placement)
            .map_or("Nowhere", |(_, l)| l)
    }
}

const COLUMNS: &str = "id, slug, title, body, placement, position, status";

async fn by_slug(pool: &AnyPool, slug: &str) -> sqlx::Result<Option<Page>> {
    sqlx::query_as::<_, Page>(
        "SELECT id, slug, title, body, placement, position, status FROM pages WHERE slug = $1",
    )
    .bind(slug)
    .fetch_optional(pool)
    .await
}

async fn by_id(pool: &AnyPool, id: i64) -> sqlx::Result<Option<Page>> {
    sqlx::query_as::<_, Page>(
        "SELECT id, slug, title, body, placement, position, status FROM pages WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// What a page's form says, as entered.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PageForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub placement: String,
    #[serde(default)]
    pub position: String,
    /// "publish", "draft", or "preview" (shows the form again with the text rendered, and
    /// stores nothing).
    #[serde(default)]
    pub action: String,
    /// The stored page's status when the editor was opened ("published", "draft"; empty for
    /// a new page): what the editor says and what Enter keeps. It changes nothing stored.
    #[serde(default)]
    pub was: String,
}

impl PageForm {
    pub fn was_published(&self) -> bool {
        self.was == "published"
    }
}

pub static FIELDS: Fields = Fields(&[
    Field {
        name: "title",
        label: "the title",
        max_len: 120,
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
        name: "body",
        label: "the text",
        max_len: 50_000,
        required: true,
        lines: true,
    },
    Field {
        name: "position",
        label: "the order",
        max_len: 4,
        required: false,
        lines: false,
    },
]);

/// A page's form, checked: the values to store, or the messages.
struct Checked {
    title: String,
    slug: String,
    body: markdown::Rendered,
    placement: &'static str,
    position: i64,
    published: bool,
}

impl PageForm {
    async fn check(&self) -> Result<Checked, FormErrors> {
        let mut check = FIELDS.check();
        let title = check.text("title", &self.title);
        let typed = check.text("slug", &self.slug);
        let slug = if typed.is_empty() {
            slug::slugify(&title)
        } else {
            typed.clone()
        };
        if !check.has("slug") && !check.has("title") && !slug::is_valid(&slug) {
            check.add(
                "slug",
                "Use only lowercase letters, digits and hyphens for the address, for example: about-us.",
            );
        }
        let body = check.markdown("body", &self.body).await;
        let placement = PLACEMENTS
            .iter()
            .map(|(p, _)| *p)
            .find(|p| *p == self.placement)
            .unwrap_or("none");
        let position = if self.position.trim().is_empty() {
            0
        } else {
            check
                .number(
                    "position",
                    self.position.trim(),
                    0..=999,
                    "Enter the order as a whole number from 0 to 999.",
                )
                .unwrap_or(0)
        };
        check.finish().map(|()| Checked {
            title,
            slug,
            body,
            placement,
            position,
            published: self.action == "publish",
        })
    }

    fn kept(&self) -> PageForm {
        PageForm {
            title: FIELDS.keep("title", &self.title),
            slug: FIELDS.keep("slug", &self.slug),
            body: FIELDS.keep("body", &self.body),
            placement: self.placement.clone(),
            position: FIELDS.keep("position", &self.position),
            action: self.action.clone(),
            was: if self.was == "published" {
                "published"
            } else if self.was == "draft" {
                "draft"
            } else {
                ""
            }
            .to_owned(),
        }
    }

    fn of(page: &Page) -> PageForm {
        PageForm {
            title: page.title.clone(),
            slug: page.slug.clone(),
            body: page.body.clone(),
            placement: page.placement.clone(),
            position: page.position.to_string(),
            action: page.status.clone(),
            was: page.status.clone(),
        }
    }
}

/// A new page, or the demo's: its id, or `None` when the slug is taken.
pub async fn insert(
    state: &AppState,
    input: &PageInput<'_>,
    now: i64,
) -> sqlx::Result<Option<i64>> {
    let mut tx = state.begin_write().await?;
    let result = sqlx::query_scalar(
        "INSERT INTO pages (slug, title, body, body_html, placement, position, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(input.slug)
    .bind(input.title)
    .bind(&input.body.source)
    .bind(&input.body.html)
    .bind(input.placement)
    .bind(input.position)
    .bind(if input.published { "published" } else { "draft" })
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    match result {
        Ok(id) => {
            index(&mut tx, id).await?;
            tx.commit().await?;
            Ok(Some(id))
        }
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes the page's document in the one search (everyone finds a published page), or takes
/// it out when it is a draft or gone.
pub async fn index(conn: &mut AnyConnection, id: i64) -> sqlx::Result<()> {
    let page: Option<(String, String, String, String, i64)> =
        sqlx::query_as("SELECT slug, title, body, status, updated_at FROM pages WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    match page {
        Some((slug, title, body, status, at)) if status == "published" => {
            crate::search::put(
                conn,
                &crate::search::Doc {
                    kind: "page",
                    ref_id: id,
                    title,
                    body: markdown::plain(&body),
                    url: format!("/pages/{slug}"),
                    context: String::new(),
                    at,
                    visible_from: 0,
                    access: vec![crate::search::Access::Public],
                },
            )
            .await
        }
        _ => crate::search::remove(conn, "page", id).await,
    }
}

/// Every page's document (for `portal reindex`).
pub async fn reindex(conn: &mut AnyConnection) -> sqlx::Result<()> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM pages")
        .fetch_all(&mut *conn)
        .await?;
    for id in ids {
        index(conn, id).await?;
    }
    Ok(())
}

/// What a page is made of.
pub struct PageInput<'a> {
    pub slug: &'a str,
    pub title: &'a str,
    pub body: &'a markdown::Rendered,
    pub placement: &'a str,
    pub position: i64,
    pub published: bool,
}

#[derive(Template)]
#[template(path = "pages/show.html")]
struct ShowPage {
    layout: Layout,
    page: Page,
    html: String,
}

/// The address of the page `/join` shows beside its form: what membership costs, what it
/// gives and how long review takes, in the staff's words (edited at /staff/pages).
pub const MEMBERSHIP: &str = "membership";

/// A published page's title and text as HTML, for another page that shows it.
pub async fn published_html(pool: &AnyPool, slug: &str) -> AppResult<Option<(String, String)>> {
    let Some(page) = by_slug(pool, slug).await? else {
        return Ok(None);
    };
    if page.is_draft() {
        return Ok(None);
    }
    let stored: Option<String> = sqlx::query_scalar("SELECT body_html FROM pages WHERE id = $1")
        .bind(page.id)
        .fetch_one(pool)
        .await?;
    let html = markdown::stored_or_render(stored, &page.body);
    Ok(Some((page.title, html)))
}

async fn show(ctx: Viewer, Path(slug): Path<String>) -> AppResult<Response> {
    let page = by_slug(&ctx.state.pool, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if page.is_draft() && !policy::can_read_draft_page(ctx.person.as_ref()) {
        return Err(AppError::NotFound);
    }
    let stored: Option<String> = sqlx::query_scalar("SELECT body_html FROM pages WHERE id = $1")
        .bind(page.id)
        .fetch_one(&ctx.state.pool)
        .await?;
    let html = markdown::stored_or_render(stored, &page.body);
    let mut layout = ctx.layout().await;
    layout.meta.title = page.title.clone();
    layout.meta.description = markdown::snippet(&page.body, 200);
    layout.meta.canonical = format!("{}/pages/{}", ctx.state.config.base(), page.slug);
    Ok(web::render(&ShowPage { layout, page, html }))
}

#[derive(Template)]
#[template(path = "pages/staff_list.html")]
struct ListPage {
    layout: Layout,
    pages: Vec<Page>,
}

async fn list(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_edit_pages(&person))?;
    let pages = sqlx::query_as::<_, Page>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM pages ORDER BY placement, position, title, id"
    )))
    .fetch_all(&ctx.state.pool)
    .await?;
    Ok(web::render(&ListPage {
        layout: ctx.layout().await,
        pages,
    }))
}

#[derive(Template)]
#[template(path = "pages/staff_form.html")]
struct FormPage {
    layout: Layout,
    /// The page edited; `None` for a new one.
    id: Option<i64>,
    form: PageForm,
    errors: FormErrors,
    fields: &'static Fields,
    placements: &'static [(&'static str, &'static str)],
    /// The text rendered, after the Preview button.
    preview: Option<Preview>,
}

fn form_page(layout: Layout, id: Option<i64>, form: PageForm, errors: FormErrors) -> Response {
    let failed = !errors.is_empty();
    let page = FormPage {
        layout,
        id,
        form,
        errors,
        fields: &FIELDS,
        placements: &PLACEMENTS,
        preview: None,
    };
    if failed {
        form::again(&page)
    } else {
        web::render(&page)
    }
}

async fn new_form(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_edit_pages(&person))?;
    let form = PageForm {
        placement: "footer".to_owned(),
        position: "0".to_owned(),
        ..PageForm::default()
    };
    Ok(form_page(
        ctx.layout().await,
        None,
        form,
        FormErrors::default(),
    ))
}

/// The Preview button: the form again as entered, with the text rendered as it will be
/// published; nothing is stored.
async fn preview_page(layout: Layout, id: Option<i64>, form: &PageForm) -> Response {
    let form = form.kept();
    let preview = Some(Preview::of(&form.body).await);
    web::render(&FormPage {
        layout,
        id,
        form,
        errors: FormErrors::default(),
        fields: &FIELDS,
        placements: &PLACEMENTS,
        preview,
    })
}

fn slug_taken() -> FormErrors {
    let mut errors = FormErrors::default();
    errors.add("slug", "Another page has this address. Choose another one.");
    errors
}

fn saved_message(c: &Checked) -> String {
    if c.published {
        format!("“{}” is published at /pages/{}.", c.title, c.slug)
    } else {
        format!("“{}” is saved as a draft.", c.title)
    }
}

async fn create(Staff(ctx, person): Staff, Form(form): Form<PageForm>) -> AppResult<Response> {
    web::permit(policy::can_edit_pages(&person))?;
    if form.action == "preview" {
        return Ok(preview_page(ctx.layout().await, None, &form).await);
    }
    let c = match form.check().await {
        Ok(c) => c,
        Err(errors) => return Ok(form_page(ctx.layout().await, None, form.kept(), errors)),
    };
    let input = PageInput {
        slug: &c.slug,
        title: &c.title,
        body: &c.body,
        placement: c.placement,
        position: c.position,
        published: c.published,
    };
    let inserted = insert(&ctx.state, &input, ctx.state.clock.now()).await?;
    crate::web::identity::forget(&ctx.state);
    if inserted.is_none() {
        return Ok(form_page(
            ctx.layout().await,
            None,
            form.kept(),
            slug_taken(),
        ));
    }
    ctx.flash(saved_message(&c)).await?;
    Ok(web::see_other("/staff/pages"))
}

async fn edit_form(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_edit_pages(&person))?;
    let page = by_id(&ctx.state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(form_page(
        ctx.layout().await,
        Some(id),
        PageForm::of(&page),
        FormErrors::default(),
    ))
}

async fn update(
    Staff(ctx, person): Staff,
    Path(id): Path<i64>,
    Form(form): Form<PageForm>,
) -> AppResult<Response> {
    web::permit(policy::can_edit_pages(&person))?;
    by_id(&ctx.state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if form.action == "preview" {
        return Ok(preview_page(ctx.layout().await, Some(id), &form).await);
    }
    let c = match form.check().await {
        Ok(c) => c,
        Err(errors) => return Ok(form_page(ctx.layout().await, Some(id), form.kept(), errors)),
    };
    let mut tx = ctx.state.begin_write().await?;
    let result = sqlx::query(
        "UPDATE pages SET slug = $1, title = $2, body = $3, body_html = $9, placement = $4, \
         position = $5, status = $6, updated_at = $7 WHERE id = $8",
    )
    .bind(&c.slug)
    .bind(&c.title)
    .bind(&c.body.source)
    .bind(c.placement)
    .bind(c.position)
    .bind(if c.published { "published" } else { "draft" })
    .bind(ctx.state.clock.now())
    .bind(id)
    .bind(&c.body.html)
    .execute(&mut *tx)
    .await;
    if matches!(&result, Ok(done) if done.rows_affected() == 1) {
        index(&mut tx, id).await?;
        tx.commit().await?;
    }
    // A page placed in the header or footer, or taken out of them, changes every page's.
    crate::web::identity::forget(&ctx.state);
    match result {
        Ok(done) if done.rows_affected() == 1 => {}
        Ok(_) => return Err(AppError::NotFound),
        Err(e) if is_unique_violation(&e) => {
            return Ok(form_page(
                ctx.layout().await,
                Some(id),
                form.kept(),
                slug_taken(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    ctx.flash(saved_message(&c)).await?;
    Ok(web::see_other("/staff/pages"))
}

/// The question before a published page goes offline.
async fn unpublish_form(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_edit_pages(&person))?;
    let page = by_id(&ctx.state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if page.status != "published" {
        ctx.flash(format!("“{}” is already a draft, offline.", page.title))
            .await?;
        return Ok(web::see_other(&format!("/staff/pages/{id}/edit")));
    }
    Ok(web::confirm::Confirm {
        layout: ctx.layout().await,
        title: format!("Unpublish: {}", page.title),
        heading: format!("Take “{}” offline?", page.title),
        explanation: format!(
            "The page becomes a draft: /pages/{} stops working for readers and its link is no longer shown, until it is published again. Its text is kept. Changes not saved in the editor are not kept.",
            page.slug
        ),
        action: format!("/staff/pages/{id}/unpublish"),
        button: "Unpublish".to_owned(),
        back: format!("/staff/pages/{id}/edit"),
        back_label: "Keep it published".to_owned(),
        crumb: None,
        detail: None,
        note: None,
    }
    .render())
}

async fn unpublish(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_edit_pages(&person))?;
    let page = by_id(&ctx.state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = ctx.state.begin_write().await?;
    sqlx::query(
        "UPDATE pages SET status = 'draft', updated_at = $1 WHERE id = $2 AND status = 'published'",
    )
    .bind(ctx.state.clock.now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    index(&mut tx, id).await?;
    tx.commit().await?;
    crate::web::identity::forget(&ctx.state);
    ctx.flash(format!("“{}” is a draft now, offline.", page.title))
        .await?;
    Ok(web::see_other(&format!("/staff/pages/{id}/edit")))
}

/// The question before a page is deleted.
async fn delete_form(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_edit_pages(&person))?;
    let page = by_id(&ctx.state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let what = match page.placement.as_str() {
        place @ ("footer" | "header") => format!(
            "The page, its address /pages/{} and its link in the {place}",
            page.slug
        ),
        _ => format!("The page and its address /pages/{}", page.slug),
    };
    Ok(web::confirm::Confirm {
        layout: ctx.layout().await,
        title: format!("Delete: {}", page.title),
        heading: format!("Delete “{}”?", page.title),
        explanation: format!(
            "{what} are removed for good. To hide it but keep it, save it as a draft instead."
        ),
        action: format!("/staff/pages/{id}/delete"),
        button: "Delete for good".to_owned(),
        back: format!("/staff/pages/{id}/edit"),
        back_label: "Keep it".to_owned(),
        crumb: None,
        detail: None,
        note: None,
    }
    .render())
}

async fn delete(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_edit_pages(&person))?;
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query("DELETE FROM pages WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    crate::search::remove(&mut tx, "page", id).await?;
    tx.commit().await?;
    crate::web::identity::forget(&ctx.state);
    if done.rows_affected() != 1 {
        return Err(AppError::NotFound);
    }
    ctx.flash("The page is deleted.").await?;
    Ok(web::see_other("/staff/pages"))
}
