//! What staff say on the public front besides news: the organization's identity (name,
//! tagline, logo, contact lines and social links, shown by every page's header and footer),
//! the home page's statement and the testimonials.

use askama::Template;
use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Path},
    http::HeaderMap,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::AnyPool;

use crate::{
    error::{AppError, AppResult},
    files, policy,
    state::AppState,
    text::EmailAddress,
    web::{
        self, Ctx, FormErrors, Layout, Staff, Viewer,
        form::{self, Field, Fields, Form},
        identity,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/site", get(show))
        .route("/staff/site/identity", post(save_identity))
        .route(
            "/staff/site/logo",
            post(upload_logo).layer(DefaultBodyLimit::max(LOGO.max_bytes as usize + 64 * 1024)),
        )
        .route(
            "/staff/site/logo/delete",
            get(delete_logo_form).post(delete_logo),
        )
        .route("/site/logo/{id}", get(serve_logo))
        .route("/staff/site/statement", post(save_statement))
        .route("/staff/testimonials", post(add_testimonial))
        .route("/staff/testimonials/{id}", post(update_testimonial))
        .route(
            "/staff/testimonials/{id}/delete",
            get(delete_testimonial_form).post(delete_testimonial),
        )
}

pub const DEFAULT_BODY: &str = "Mayors of cities large and small, and their most trusted advisors, learn from each other \
here: what worked, what did not, and what to try next. Member cities meet in cohorts, gather at the annual meeting, and \
ask our staff for help when they need it.";

pub async fn setting(pool: &AnyPool, key: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
}

pub async fn set_setting(pool: &AnyPool, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(pool)
        .await?;
    Ok(())
}

/// The home page's statement: a heading and a paragraph.
pub async fn statement(state: &AppState) -> sqlx::Result<(String, String)> {
    let heading = setting(&state.pool, "home.heading")
        .await?
        .unwrap_or_else(|| state.config.org_tagline.clone());
    let body = setting(&state.pool, "home.body")
        .await?
        .unwrap_or_else(|| DEFAULT_BODY.to_owned());
    Ok((heading, body))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Testimonial {
    pub id: i64,
    pub quote: String,
    pub name: String,
    pub title: String,
    pub city: String,
    pub active: crate::db::Flag,
}

/// The newest active testimonial, for the home page.
pub async fn featured_testimonial(pool: &AnyPool) -> sqlx::Result<Option<Testimonial>> {
    sqlx::query_as::<_, Testimonial>(
        "SELECT id, quote, name, title, city, active FROM testimonials WHERE active = 1 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await
}

pub async fn add(pool: &AnyPool, t: &TestimonialForm, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO testimonials (quote, name, title, city, active, created_at) VALUES ($1, $2, $3, $4, 1, $5) RETURNING id")
        .bind(t.quote.trim())
        .bind(t.name.trim())
        .bind(t.title.trim())
        .bind(t.city.trim())
        .bind(now)
        .fetch_one(pool)
        .await
}

#[derive(Template)]
#[template(path = "site/show.html")]
struct SitePage {
    layout: Layout,
    heading: String,
    body: String,
    testimonials: Vec<Testimonial>,
    new: TestimonialForm,
    identity: IdentityForm,
    /// The logo's address, when one is set.
    logo: Option<String>,
    errors: FormErrors,
    fields: &'static Fields,
}

/// The text fields of the home page's forms: the statement, and a testimonial (whose fields
/// are named `t_…` in the form that adds one, as the statement's fields are named alike).
pub static FIELDS: Fields = Fields(&[
    Field {
        name: "org_name",
        label: "the organization's name",
        max_len: 120,
        required: false,
        lines: false,
    },
    Field {
        name: "org_tagline",
        label: "the tagline",
        max_len: 200,
        required: false,
        lines: false,
    },
    Field {
        name: "contact_email",
        label: "the contact email",
        max_len: 254,
        required: false,
        lines: false,
    },
    Field {
        name: "address",
        label: "the postal address",
        max_len: 400,
        required: false,
        lines: true,
    },
    Field {
        name: "social",
        label: "the social links",
        max_len: 2000,
        required: false,
        lines: true,
    },
    Field {
        name: "heading",
        label: "the heading",
        max_len: 120,
        required: true,
        lines: false,
    },
    Field {
        name: "body",
        label: "the paragraph",
        max_len: 1000,
        required: true,
        lines: true,
    },
    Field {
        name: "quote",
        label: "the quote",
        max_len: 600,
        required: true,
        lines: true,
    },
    Field {
        name: "t_name",
        label: "who said it",
        max_len: 120,
        required: true,
        lines: false,
    },
    Field {
        name: "t_title",
        label: "their title",
        max_len: 120,
        required: false,
        lines: false,
    },
    Field {
        name: "t_city",
        label: "their city",
        max_len: 120,
        required: false,
        lines: false,
    },
]);

async fn page(
    ctx: &Ctx,
    heading: Option<String>,
    body: Option<String>,
    new: TestimonialForm,
    errors: FormErrors,
) -> AppResult<Response> {
    page_with(ctx, heading, body, new, None, errors).await
}

async fn page_with(
    ctx: &Ctx,
    heading: Option<String>,
    body: Option<String>,
    new: TestimonialForm,
    entered: Option<IdentityForm>,
    errors: FormErrors,
) -> AppResult<Response> {
    let (h, b) = statement(&ctx.state).await?;
    let identity = match entered {
        Some(entered) => entered,
        None => IdentityForm::stored(&ctx.state.pool).await?,
    };
    let logo = setting(&ctx.state.pool, identity::LOGO)
        .await?
        .and_then(|v| v.parse::<i64>().ok())
        .map(identity::logo_path);
    let testimonials = sqlx::query_as::<_, Testimonial>("SELECT id, quote, name, title, city, active FROM testimonials ORDER BY created_at DESC, id DESC")
        .fetch_all(&ctx.state.pool)
        .await?;
    let failed = !errors.is_empty();
    let page = SitePage {
        layout: ctx.layout().await,
        heading: heading.unwrap_or(h),
        body: body.unwrap_or(b),
        testimonials,
        new,
        identity,
        logo,
        errors,
        fields: &FIELDS,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
}

async fn show(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    page(
        &ctx,
        None,
        None,
        TestimonialForm::default(),
        FormErrors::default(),
    )
    .await
}

#[derive(Deserialize)]
struct StatementForm {
    #[serde(default)]
    heading: String,
    #[serde(default)]
    body: String,
}

async fn save_statement(
    Staff(ctx, person): Staff,
    Form(form): Form<StatementForm>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let mut check = FIELDS.check();
    let heading = check.text("heading", &form.heading);
    let body = check.text("body", &form.body);
    if let Err(errors) = check.finish() {
        let h = FIELDS.keep("heading", &form.heading);
        let b = FIELDS.keep("body", &form.body);
        return page(&ctx, Some(h), Some(b), TestimonialForm::default(), errors).await;
    }
    set_setting(&ctx.state.pool, "home.heading", &heading).await?;
    set_setting(&ctx.state.pool, "home.body", &body).await?;
    ctx.flash("The home page's statement is saved.").await?;
    Ok(web::see_other("/staff/site"))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub struct TestimonialForm {
    #[serde(default)]
    pub quote: String,
    #[serde(default, alias = "t_name")]
    pub name: String,
    #[serde(default, alias = "t_title")]
    pub title: String,
    #[serde(default, alias = "t_city")]
    pub city: String,
    #[serde(default)]
    pub active: String,
}

impl TestimonialForm {
    /// Checks the form, keeping each text as checked (cleaned).
    fn check(&mut self) -> FormErrors {
        let mut check = FIELDS.check();
        self.quote = check.text("quote", &self.quote);
        self.name = check.text("t_name", &self.name);
        self.title = check.text("t_title", &self.title);
        self.city = check.text("t_city", &self.city);
        check.errors
    }
}

async fn add_testimonial(
    Staff(ctx, person): Staff,
    Form(mut form): Form<TestimonialForm>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let errors = form.check();
    if !errors.is_empty() {
        let kept = TestimonialForm {
            quote: FIELDS.keep("quote", &form.quote),
            name: FIELDS.keep("t_name", &form.name),
            title: FIELDS.keep("t_title", &form.title),
            city: FIELDS.keep("t_city", &form.city),
            active: form.active.clone(),
        };
        return page(&ctx, None, None, kept, errors).await;
    }
    add(&ctx.state.pool, &form, ctx.state.clock.now()).await?;
    ctx.flash("The testimonial is added; the newest shown one appears on the home page.")
        .await?;
    Ok(web::see_other("/staff/site"))
}

async fn update_testimonial(
    Staff(ctx, person): Staff,
    Path(id): Path<i64>,
    Form(mut form): Form<TestimonialForm>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let errors = form.check();
    if !errors.is_empty() {
        return page(&ctx, None, None, TestimonialForm::default(), errors).await;
    }
    let done = sqlx::query("UPDATE testimonials SET quote = $1, name = $2, title = $3, city = $4, active = $5 WHERE id = $6")
        .bind(form.quote.trim())
        .bind(form.name.trim())
        .bind(form.title.trim())
        .bind(form.city.trim())
        .bind(i64::from(form.active == "1"))
        .bind(id)
        .execute(&ctx.state.pool)
        .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::NotFound);
    }
    ctx.flash("The testimonial is saved.").await?;
    Ok(web::see_other("/staff/site"))
}

/// The question before a testimonial is deleted: whose it is and what it says.
async fn delete_testimonial_form(
    Staff(ctx, person): Staff,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let t = sqlx::query_as::<_, Testimonial>(
        "SELECT id, quote, name, title, city, active FROM testimonials WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&ctx.state.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let quote: String = if t.quote.chars().count() > 160 {
        let cut: String = t.quote.chars().take(160).collect();
        format!("{}…", cut.trim_end())
    } else {
        t.quote.clone()
    };
    Ok(web::confirm::Confirm {
        layout: ctx.layout().await,
        title: format!("Delete: testimonial by {}", t.name),
        heading: format!("Delete the testimonial by {}?", t.name),
        explanation: format!(
            "“{quote}” is removed for good{}. To keep it but not show it, untick “Shown” instead.",
            if t.active.get() {
                ", and the home page no longer shows it"
            } else {
                ""
            }
        ),
        action: format!("/staff/testimonials/{id}/delete"),
        button: "Delete for good".to_owned(),
        back: "/staff/site".to_owned(),
        back_label: "Keep it".to_owned(),
        crumb: None,
        detail: None,
        note: None,
    }
    .render())
}

async fn delete_testimonial(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    sqlx::query("DELETE FROM testimonials WHERE id = $1")
        .bind(id)
        .execute(&ctx.state.pool)
        .await?;
    ctx.flash("The testimonial is deleted.").await?;
    Ok(web::see_other("/staff/site"))
}

/// The identity's form: each setting as entered; an empty one is removed, and its line left
/// out of the footer (the name and tagline then come from the configuration).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct IdentityForm {
    #[serde(default)]
    pub org_name: String,
    #[serde(default)]
    pub org_tagline: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub social: String,
}

/// The identity's settings and the form's fields, in the form's order.
const IDENTITY_KEYS: [(&str, &str); 5] = [
    ("org_name", identity::NAME),
    ("org_tagline", identity::TAGLINE),
    ("contact_email", identity::EMAIL),
    ("address", identity::ADDRESS),
    ("social", identity::SOCIAL),
];

impl IdentityForm {
    async fn stored(pool: &AnyPool) -> sqlx::Result<IdentityForm> {
        let get = |key| setting(pool, key);
        Ok(IdentityForm {
            org_name: get(identity::NAME).await?.unwrap_or_default(),
            org_tagline: get(identity::TAGLINE).await?.unwrap_or_default(),
            contact_email: get(identity::EMAIL).await?.unwrap_or_default(),
            address: get(identity::ADDRESS).await?.unwrap_or_default(),
            social: get(identity::SOCIAL).await?.unwrap_or_default(),
        })
    }

    fn value(&self, field: &str) -> &str {
        match field {
            "org_name" => &self.org_name,
            "org_tagline" => &self.org_tagline,
            "contact_email" => &self.contact_email,
            "address" => &self.address,
            _ => &self.social,
        }
    }

    /// The values to store, by setting, or the messages.
    pub fn check(&self) -> Result<Vec<(&'static str, String)>, FormErrors> {
        let mut check = FIELDS.check();
        let mut values = Vec::new();
        for (field, key) in IDENTITY_KEYS {
            let value = check.text(field, self.value(field));
            if check.has(field) || value.is_empty() {
                values.push((key, value));
                continue;
            }
            if field == "contact_email"
                && let Err(message) = EmailAddress::parse(&value)
            {
                check.add("contact_email", message);
            }
            if field == "social" {
                let lines: Vec<&str> = value.lines().filter(|l| !l.trim().is_empty()).collect();
                if identity::parse_social(&value).len() != lines.len() {
                    check.add(
                        "social",
                        "Write each link on a line of its own: its label, a space, and its address beginning with https://, for example: Bluesky https://bsky.app/profile/example.",
                    );
                }
            }
            values.push((key, value));
        }
        check.finish().map(|()| values)
    }
}

/// Saves the identity's settings: set ones stored, empty ones removed.
pub async fn save_identity_settings(
    pool: &AnyPool,
    values: &[(&'static str, String)],
) -> sqlx::Result<()> {
    for (key, value) in values {
        if value.is_empty() {
            sqlx::query("DELETE FROM settings WHERE key = $1")
                .bind(*key)
                .execute(pool)
                .await?;
        } else {
            set_setting(pool, key, value).await?;
        }
    }
    Ok(())
}

async fn save_identity(
    Staff(ctx, person): Staff,
    Form(form): Form<IdentityForm>,
) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let values = match form.check() {
        Ok(values) => values,
        Err(errors) => {
            let kept = IdentityForm {
                org_name: FIELDS.keep("org_name", &form.org_name),
                org_tagline: FIELDS.keep("org_tagline", &form.org_tagline),
                contact_email: FIELDS.keep("contact_email", &form.contact_email),
                address: FIELDS.keep("address", &form.address),
                social: FIELDS.keep("social", &form.social),
            };
            return page_with(
                &ctx,
                None,
                None,
                TestimonialForm::default(),
                Some(kept),
                errors,
            )
            .await;
        }
    };
    save_identity_settings(&ctx.state.pool, &values).await?;
    identity::forget(&ctx.state);
    ctx.flash("The organization's details are saved.").await?;
    Ok(web::see_other("/staff/site"))
}

/// The logo: a PNG, an SVG or a JPEG of at most 1 MB (a JPEG is drawn again as a PNG).
pub const LOGO: files::Rules = files::Rules {
    max_bytes: 1024 * 1024,
    types: &["image/png", "image/svg+xml", "image/jpeg"],
};

/// The logo as stored once uploaded: a JPEG is decoded and encoded again as a PNG at most
/// twice the header's 48 pixels high, as covers are re-encoded, so that what is served is
/// the portal's own encoding without the upload's metadata. `Err` says why it is no picture.
async fn logo_file(
    state: &AppState,
    file: files::StoredFile,
) -> AppResult<Result<files::StoredFile, String>> {
    if file.content_type != "image/jpeg" {
        return Ok(Ok(file));
    }
    let bytes = files::read_all(&state.pool, file.id).await?;
    let png = tokio::task::spawn_blocking(move || jpeg_to_png(&bytes))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(png) = png else {
        return Ok(Err(
            "This JPEG file could not be read as a picture. Try another file.".to_owned(),
        ));
    };
    let now = state.clock.now();
    match files::store_bytes(&state.pool, now, &LOGO, "logo.png", &png).await {
        Ok(f) => Ok(Ok(f)),
        Err(files::FileError::Database(e)) => Err(e.into()),
        Err(e) => Ok(Err(e.to_string())),
    }
}

/// A JPEG drawn again as a PNG, at most 96 pixels high; `None` when it is no picture.
fn jpeg_to_png(bytes: &[u8]) -> Option<Vec<u8>> {
    use image::{ImageFormat, ImageReader, Limits};
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), ImageFormat::Jpeg);
    let mut limits = Limits::default();
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let picture = reader.decode().ok()?;
    let picture = if picture.height() > 96 {
        picture.resize(u32::MAX, 96, image::imageops::FilterType::Lanczos3)
    } else {
        picture
    };
    let mut out = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut out, ImageFormat::Png).ok()?;
    Some(out.into_inner())
}

/// Makes a stored file the logo, in one write transaction: the new file is claimed and the
/// one it replaces given back to the sweeper.
pub async fn set_logo(state: &AppState, file_id: i64) -> AppResult<bool> {
    let mut tx = state.begin_write().await?;
    if !files::attach(&mut tx, file_id).await? {
        return Ok(false);
    }
    let old: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(identity::LOGO)
        .fetch_optional(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(identity::LOGO)
        .bind(file_id.to_string())
        .execute(&mut *tx)
        .await?;
    if let Some(old) = old.and_then(|v| v.parse::<i64>().ok())
        && old != file_id
    {
        files::release(&mut tx, old).await?;
    }
    tx.commit().await?;
    identity::forget(state);
    Ok(true)
}

async fn upload_logo(Staff(ctx, person): Staff, multipart: Multipart) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let outcome = files::read_multipart(
        &ctx.state.pool,
        ctx.state.clock.now(),
        multipart,
        "logo",
        &LOGO,
    )
    .await?
    .file;
    let mut errors = FormErrors::default();
    let outcome = match outcome {
        Some(Ok(file)) => Some(logo_file(&ctx.state, file).await?),
        Some(Err(e)) => Some(Err(match e {
            files::FileError::Database(e) => return Err(e.into()),
            files::FileError::TypeNotAllowed(_) => {
                "The logo must be a PNG, SVG or JPEG file.".to_owned()
            }
            e => e.to_string(),
        })),
        None => None,
    };
    match outcome {
        None => errors.add("logo", "Choose a PNG, SVG or JPEG file for the logo."),
        Some(Err(message)) => errors.add("logo", message),
        Some(Ok(file)) => {
            if set_logo(&ctx.state, file.id).await? {
                ctx.flash("The logo is saved; it shows in every page's header.")
                    .await?;
                return Ok(web::see_other("/staff/site"));
            }
            errors.add("logo", "The upload was interrupted. Try again.");
        }
    }
    page(&ctx, None, None, TestimonialForm::default(), errors).await
}

/// The question before the logo is removed; with no logo there is nothing to ask.
async fn delete_logo_form(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    if setting(&ctx.state.pool, identity::LOGO).await?.is_none() {
        ctx.flash("There is no logo to remove.").await?;
        return Ok(web::see_other("/staff/site"));
    }
    Ok(web::confirm::Confirm {
        layout: ctx.layout().await,
        title: "Remove: the logo".to_owned(),
        heading: "Remove the logo?".to_owned(),
        explanation: "Every page's header then shows the organization's name instead. To use it again later, upload it again.".to_owned(),
        action: "/staff/site/logo/delete".to_owned(),
        button: "Remove the logo".to_owned(),
        back: "/staff/site".to_owned(),
        back_label: "Keep it".to_owned(),
        crumb: None,
        detail: None,
        note: None,
    }
    .render())
}

async fn delete_logo(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let mut tx = ctx.state.begin_write().await?;
    let old: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
        .bind(identity::LOGO)
        .fetch_optional(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM settings WHERE key = $1")
        .bind(identity::LOGO)
        .execute(&mut *tx)
        .await?;
    if let Some(old) = old.and_then(|v| v.parse::<i64>().ok()) {
        files::release(&mut tx, old).await?;
    }
    tx.commit().await?;
    identity::forget(&ctx.state);
    ctx.flash("The logo is removed; the header shows the organization's name.")
        .await?;
    Ok(web::see_other("/staff/site"))
}

/// The logo, public once set: only the file the setting names (an earlier logo, or any other
/// stored file, is the 404 of a missing one). Shown in the browser when opened by its
/// address, under the store's policy (`files::FILE_POLICY`): an SVG draws itself and does
/// nothing else. In an `<img>` a browser runs no script anyway.
async fn serve_logo(ctx: Viewer, Path(id): Path<i64>, headers: HeaderMap) -> AppResult<Response> {
    let current = setting(&ctx.state.pool, identity::LOGO)
        .await?
        .and_then(|v| v.parse::<i64>().ok());
    if current != Some(id) {
        return Err(AppError::NotFound);
    }
    let file = files::find(&ctx.state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(files::serve(
        &ctx.state.pool,
        &file,
        &headers,
        files::Audience::Anyone,
        files::Disposition::Inline,
    ))
}
