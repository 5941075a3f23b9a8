//! Staff create and edit cohorts (`/staff/cohorts`): name, address, topic, description,
//! join policy, whether people outside see it, season, status (archiving) and facilitators.

use askama::Template;
use axum::{
    Router,
    extract::Path,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::AnyConnection;

use super::{Cohort, CohortStatus, JoinPolicy, MemberRole};
use crate::{
    audit,
    error::{AppError, AppResult, is_unique_violation},
    policy,
    text::{EmailAddress, slug},
    viewer::Person,
    web::{
        self, FormErrors, Layout, Staff,
        form::{self, Check, Field, Fields, Form},
    },
};

pub fn router() -> Router<crate::state::AppState> {
    Router::new()
        .route("/staff/cohorts", get(list).post(create))
        .route("/staff/cohorts/new", get(new_form))
        .route("/staff/cohorts/{id}/edit", get(edit_form))
        .route("/staff/cohorts/{id}", post(update))
}

#[derive(sqlx::FromRow)]
pub struct Row {
    #[sqlx(flatten)]
    pub cohort: Cohort,
    pub members: i64,
    pub pending: i64,
}

#[derive(Template)]
#[template(path = "cohorts/staff_list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
}

async fn list(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_manage_cohorts(&person))?;
    let rows = sqlx::query_as::<_, Row>(concat!(
        "SELECT ",
        crate::cohort_columns!("c"),
        ", (SELECT COUNT(*) FROM cohort_members m WHERE m.cohort_id = c.id) AS members, \
         (SELECT COUNT(*) FROM cohort_requests r WHERE r.cohort_id = c.id AND r.status = 'pending') AS pending \
         FROM cohorts c ORDER BY CASE c.status WHEN 'active' THEN 0 ELSE 1 END, c.name, c.id"
    ))
    .fetch_all(&ctx.state.pool)
    .await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = "Cohorts".to_owned();
    Ok(web::render(&ListPage { layout, rows }))
}

/// Requests to join a cohort still waiting for a facilitator, and when the oldest was made.
pub async fn waiting_requests(pool: &sqlx::AnyPool) -> sqlx::Result<(i64, Option<i64>)> {
    sqlx::query_as("SELECT COUNT(*), MIN(created_at) FROM cohort_requests WHERE status = 'pending'")
        .fetch_one(pool)
        .await
}

/// What the cohort form says, as entered.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CohortForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub join_policy: String,
    /// "1" when people outside see it.
    #[serde(default)]
    pub visible: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub status: String,
    /// Email addresses, separated by commas or spaces.
    #[serde(default)]
    pub facilitators: String,
}

pub static FIELDS: Fields = Fields(&[
    Field {
        name: "name",
        label: "the cohort's name",
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
        name: "topic",
        label: "the topic",
        max_len: 80,
        required: false,
        lines: false,
    },
    Field {
        name: "description",
        label: "the description",
        max_len: 20_000,
        required: false,
        lines: true,
    },
    Field {
        name: "starts_on",
        label: "the start date",
        max_len: 10,
        required: false,
        lines: false,
    },
    Field {
        name: "ends_on",
        label: "the end date",
        max_len: 10,
        required: false,
        lines: false,
    },
    Field {
        name: "facilitators",
        label: "the facilitators",
        max_len: 2000,
        required: false,
        lines: false,
    },
]);

/// A cohort's values, checked.
pub struct NewCohort {
    pub name: String,
    pub slug: String,
    pub topic: String,
    pub description: String,
    pub description_html: String,
    pub join_policy: JoinPolicy,
    pub visible: bool,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub status: CohortStatus,
}

impl CohortForm {
    async fn check(&self) -> Result<(NewCohort, Vec<EmailAddress>), FormErrors> {
        let mut check = FIELDS.check();
        let name = check.text("name", &self.name);
        let slug = self.read_slug(&mut check, &name);
        let topic = check.text("topic", &self.topic);
        let description = check.markdown("description", &self.description).await;
        let join_policy = JoinPolicy::parse(&self.join_policy);
        if join_policy.is_none() {
            check.add("join_policy", "Choose how people join the cohort.");
        }
        let (starts_on, ends_on) = self.read_dates(&mut check);
        let status = match self.status.as_str() {
            "" => Some(CohortStatus::Active),
            s => CohortStatus::parse(s),
        };
        if status.is_none() {
            check.add("status", "Choose whether the cohort is active or archived.");
        }
        let status = status.unwrap_or(CohortStatus::Active);
        let facilitators = self.read_facilitators(&mut check);
        check.finish()?;
        Ok((
            NewCohort {
                name,
                slug,
                topic,
                description: description.source,
                description_html: description.html,
                join_policy: join_policy.unwrap_or(JoinPolicy::Open),
                visible: self.visible == "1",
                starts_on,
                ends_on,
                status,
            },
            facilitators,
        ))
    }

    /// The address typed, or made from the name: lowercase letters, digits and hyphens, and
    /// none that the cohorts' routes keep.
    fn read_slug(&self, check: &mut Check, name: &str) -> String {
        let typed = check.text("slug", &self.slug);
        let slug = if typed.is_empty() {
            slug::slugify(name)
        } else {
            typed
        };
        if !check.has("slug") && !check.has("name") && !slug::is_valid(&slug) {
            check.add(
                "slug",
                "Use only lowercase letters, digits and hyphens for the address, for example: water-affordability.",
            );
        }
        if !check.has("slug")
            && !check.has("name")
            && super::sessions::RESERVED_SLUGS.contains(&slug.as_str())
        {
            check.add(
                "slug",
                format!("The address “{slug}” is kept for the cohorts' calendar feeds: choose another, for example {slug}-cohort."),
            );
        }
        slug
    }

    /// The start and end dates, both optional, the end not before the start.
    fn read_dates(&self, check: &mut Check) -> (Option<String>, Option<String>) {
        let starts_on = check.date(
            "starts_on",
            &self.starts_on,
            false,
            "the start date",
            "Enter the start date as a date, for example 2026-03-01.",
        );
        let ends_on = check.date(
            "ends_on",
            &self.ends_on,
            false,
            "the end date",
            "Enter the end date as a date, for example 2026-06-30.",
        );
        if let (Some(a), Some(b)) = (&starts_on, &ends_on)
            && b < a
        {
            check.add("ends_on", "The end date must not be before the start date.");
        }
        (starts_on, ends_on)
    }

    /// The facilitators' addresses, separated by commas, spaces, semicolons or lines; the
    /// first that is not an address is named.
    fn read_facilitators(&self, check: &mut Check) -> Vec<EmailAddress> {
        let emails = check.text("facilitators", &self.facilitators);
        let mut facilitators = Vec::new();
        for typed in emails
            .split([',', ' ', '\n', ';'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            match EmailAddress::parse(typed) {
                Ok(email) => facilitators.push(email),
                Err(_) => {
                    check.add(
                        "facilitators",
                        format!("“{typed}” is not an email address: separate the facilitators' addresses with commas."),
                    );
                    break;
                }
            }
        }
        facilitators
    }

    fn kept(&self) -> CohortForm {
        CohortForm {
            name: FIELDS.keep("name", &self.name),
            slug: FIELDS.keep("slug", &self.slug),
            topic: FIELDS.keep("topic", &self.topic),
            description: FIELDS.keep("description", &self.description),
            join_policy: self.join_policy.clone(),
            visible: self.visible.clone(),
            starts_on: FIELDS.keep("starts_on", &self.starts_on),
            ends_on: FIELDS.keep("ends_on", &self.ends_on),
            status: self.status.clone(),
            facilitators: FIELDS.keep("facilitators", &self.facilitators),
        }
    }

    fn of(cohort: &Cohort, facilitators: &[Person]) -> CohortForm {
        CohortForm {
            name: cohort.name.clone(),
            slug: cohort.slug.clone(),
            topic: cohort.topic.clone(),
            description: cohort.description.clone(),
            join_policy: cohort.join_policy.as_str().to_owned(),
            visible: i64::from(cohort.visible.get()).to_string(),
            starts_on: cohort.starts_on.clone().unwrap_or_default(),
            ends_on: cohort.ends_on.clone().unwrap_or_default(),
            status: cohort.status.as_str().to_owned(),
            facilitators: facilitators
                .iter()
                .map(|p| p.email.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[derive(Template)]
#[template(path = "cohorts/staff_form.html")]
struct FormPage {
    layout: Layout,
    id: Option<i64>,
    form: CohortForm,
    errors: FormErrors,
    fields: &'static Fields,
    policies: [JoinPolicy; 3],
}

fn form_page(layout: Layout, id: Option<i64>, form: CohortForm, errors: FormErrors) -> Response {
    let failed = !errors.is_empty();
    let page = FormPage {
        layout,
        id,
        form,
        errors,
        fields: &FIELDS,
        policies: JoinPolicy::ALL,
    };
    if failed {
        form::again(&page)
    } else {
        web::render(&page)
    }
}

async fn titled(ctx: &web::Ctx, title: String) -> Layout {
    let mut layout = ctx.layout().await;
    layout.meta.title = title;
    layout
}

async fn new_form(Staff(ctx, person): Staff) -> AppResult<Response> {
    web::permit(policy::can_manage_cohorts(&person))?;
    let form = CohortForm {
        join_policy: "open".to_owned(),
        visible: "1".to_owned(),
        status: "active".to_owned(),
        ..CohortForm::default()
    };
    Ok(form_page(
        titled(&ctx, "New cohort".to_owned()).await,
        None,
        form,
        FormErrors::default(),
    ))
}

/// The people the facilitators field names, or the message about those it cannot.
async fn find_facilitators(
    conn: &mut AnyConnection,
    emails: &[EmailAddress],
) -> AppResult<Result<Vec<Person>, String>> {
    let mut people = Vec::new();
    for email in emails {
        let person = sqlx::query_as::<_, Person>(crate::select_people!(
            "WHERE p.email_norm = $1 AND p.active = 1"
        ))
        .bind(email.normalized())
        .fetch_optional(&mut *conn)
        .await?;
        match person {
            Some(p) if policy::can_join_cohorts(&p) => people.push(p),
            Some(p) => {
                return Ok(Err(format!(
                    "{} cannot facilitate: the membership of {} has lapsed.",
                    p.email,
                    p.city_label()
                )));
            }
            None => {
                return Ok(Err(format!(
                    "Nobody with the address {} has an account. Invite them first, or leave them out.",
                    email.entered()
                )));
            }
        }
    }
    Ok(Ok(people))
}

/// Makes exactly these people the cohort's facilitators: adds those not in it, promotes
/// members, and makes facilitators no longer named members.
async fn set_facilitators(
    conn: &mut AnyConnection,
    cohort_id: i64,
    people: &[Person],
    now: i64,
) -> sqlx::Result<()> {
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let current: Vec<i64> = sqlx::query_scalar(
        "SELECT person_id FROM cohort_members WHERE cohort_id = $1 AND role = 'facilitator'",
    )
    .bind(cohort_id)
    .fetch_all(&mut *conn)
    .await?;
    for id in current.iter().filter(|id| !ids.contains(id)) {
        sqlx::query(
            "UPDATE cohort_members SET role = 'member' WHERE cohort_id = $1 AND person_id = $2",
        )
        .bind(cohort_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    for id in ids {
        if !super::add_member(conn, cohort_id, id, MemberRole::Facilitator, now).await? {
            sqlx::query(
                "UPDATE cohort_members SET role = 'facilitator' WHERE cohort_id = $1 AND person_id = $2",
            )
            .bind(cohort_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// A new cohort with these facilitators: its id, or `None` when the address is taken. Used
/// by the form and the demo.
pub async fn insert(
    conn: &mut AnyConnection,
    c: &NewCohort,
    facilitators: &[Person],
    now: i64,
) -> sqlx::Result<Option<i64>> {
    let result = sqlx::query_scalar(
        "INSERT INTO cohorts (slug, name, topic, description, description_html, join_policy, visible, \
         starts_on, ends_on, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $11, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(&c.slug)
    .bind(&c.name)
    .bind(&c.topic)
    .bind(&c.description)
    .bind(c.join_policy)
    .bind(i64::from(c.visible))
    .bind(c.starts_on.as_deref())
    .bind(c.ends_on.as_deref())
    .bind(c.status)
    .bind(now)
    .bind(&c.description_html)
    .fetch_one(&mut *conn)
    .await;
    let id = match result {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    set_facilitators(conn, id, facilitators, now).await?;
    Ok(Some(id))
}

fn slug_taken() -> FormErrors {
    let mut errors = FormErrors::default();
    errors.add(
        "slug",
        "Another cohort has this address. Choose another one.",
    );
    errors
}

fn facilitators_problem(message: String) -> FormErrors {
    let mut errors = FormErrors::default();
    errors.add("facilitators", message);
    errors
}

async fn create(Staff(ctx, person): Staff, Form(form): Form<CohortForm>) -> AppResult<Response> {
    web::permit(policy::can_manage_cohorts(&person))?;
    let title = "New cohort".to_owned();
    let (c, emails) = match form.check().await {
        Ok(checked) => checked,
        Err(errors) => {
            return Ok(form_page(
                titled(&ctx, title).await,
                None,
                form.kept(),
                errors,
            ));
        }
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let facilitators = match find_facilitators(&mut tx, &emails).await? {
        Ok(people) => people,
        Err(message) => {
            tx.rollback().await?;
            let errors = facilitators_problem(message);
            return Ok(form_page(
                titled(&ctx, title).await,
                None,
                form.kept(),
                errors,
            ));
        }
    };
    let Some(id) = insert(&mut tx, &c, &facilitators, now).await? else {
        tx.rollback().await?;
        return Ok(form_page(
            titled(&ctx, title).await,
            None,
            form.kept(),
            slug_taken(),
        ));
    };
    audit::record(
        &mut tx,
        now,
        person.id,
        "cohort.created",
        audit::Subject {
            detail: &format!("{} (#{id})", c.name),
            ..audit::Subject::default()
        },
    )
    .await?;
    tx.commit().await?;
    ctx.flash(format!("{} is created at /cohorts/{}.", c.name, c.slug))
        .await?;
    Ok(web::see_other("/staff/cohorts"))
}

async fn facilitators_of(pool: &sqlx::AnyPool, cohort_id: i64) -> sqlx::Result<Vec<Person>> {
    sqlx::query_as::<_, Person>(crate::select_people!(
        "JOIN cohort_members m ON m.person_id = p.id \
         WHERE m.cohort_id = $1 AND m.role = 'facilitator' ORDER BY p.name, p.id"
    ))
    .bind(cohort_id)
    .fetch_all(pool)
    .await
}

async fn edit_form(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_manage_cohorts(&person))?;
    let mut conn = ctx.state.pool.acquire().await?;
    let cohort = super::by_id(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let facilitators = facilitators_of(&ctx.state.pool, id).await?;
    Ok(form_page(
        titled(&ctx, format!("Edit: {}", cohort.name)).await,
        Some(id),
        CohortForm::of(&cohort, &facilitators),
        FormErrors::default(),
    ))
}

async fn update(
    Staff(ctx, person): Staff,
    Path(id): Path<i64>,
    Form(form): Form<CohortForm>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_cohorts(&person))?;
    let mut conn = ctx.state.pool.acquire().await?;
    let old = super::by_id(&mut conn, id)
        .await?
        .ok_or(AppError::NotFound)?;
    drop(conn);
    let title = format!("Edit: {}", old.name);
    let (c, emails) = match form.check().await {
        Ok(checked) => checked,
        Err(errors) => {
            return Ok(form_page(
                titled(&ctx, title).await,
                Some(id),
                form.kept(),
                errors,
            ));
        }
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let facilitators = match find_facilitators(&mut tx, &emails).await? {
        Ok(people) => people,
        Err(message) => {
            tx.rollback().await?;
            let errors = facilitators_problem(message);
            return Ok(form_page(
                titled(&ctx, title).await,
                Some(id),
                form.kept(),
                errors,
            ));
        }
    };
    if !store(&mut tx, id, &c, &facilitators, now).await? {
        tx.rollback().await?;
        return Ok(form_page(
            titled(&ctx, title).await,
            Some(id),
            form.kept(),
            slug_taken(),
        ));
    }
    if old.status != c.status {
        log_status_change(&mut tx, person.id, &c, now).await?;
    }
    tx.commit().await?;
    ctx.flash(format!("{} is saved.", c.name)).await?;
    Ok(web::see_other("/staff/cohorts"))
}

/// Stores a cohort's edited fields and facilitators: `false` when another cohort has the
/// address, the 404 of a cohort deleted meanwhile.
async fn store(
    conn: &mut AnyConnection,
    id: i64,
    c: &NewCohort,
    facilitators: &[Person],
    now: i64,
) -> AppResult<bool> {
    let result = sqlx::query(
        "UPDATE cohorts SET slug = $1, name = $2, topic = $3, description = $4, join_policy = $5, \
         visible = $6, starts_on = $7, ends_on = $8, status = $9, updated_at = $10, \
         description_html = $12 WHERE id = $11",
    )
    .bind(&c.slug)
    .bind(&c.name)
    .bind(&c.topic)
    .bind(&c.description)
    .bind(c.join_policy)
    .bind(i64::from(c.visible))
    .bind(c.starts_on.as_deref())
    .bind(c.ends_on.as_deref())
    .bind(c.status)
    .bind(now)
    .bind(id)
    .bind(&c.description_html)
    .execute(&mut *conn)
    .await;
    match result {
        Ok(done) if done.rows_affected() == 1 => {}
        Ok(_) => return Err(AppError::NotFound),
        Err(e) if is_unique_violation(&e) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    set_facilitators(conn, id, facilitators, now).await?;
    // Its documents name it and link to its address.
    super::search::index_cohort(conn, id).await?;
    Ok(true)
}

/// The audit line of a cohort archived or opened again.
async fn log_status_change(
    conn: &mut AnyConnection,
    by: i64,
    c: &NewCohort,
    now: i64,
) -> AppResult<()> {
    audit::record(
        conn,
        now,
        by,
        if c.status == CohortStatus::Archived {
            "cohort.archived"
        } else {
            "cohort.reopened"
        },
        audit::Subject {
            detail: &c.name,
            ..audit::Subject::default()
        },
    )
    .await?;
    Ok(())
}
