//! A cohort's space, for its members and staff: the overview (what the cohort is, the
//! person's membership, following, calendar), its members (listed ones; staff manage them
//! all, facilitators add people), join requests for facilitators, and the members' CSV for
//! staff. Every handler enters through `super::enter*`, the one door.

use askama::Template;
use axum::{
    Router,
    extract::Path,
    http::header,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{Access, Cohort, MemberRole, emails};
use crate::{
    audit,
    error::{AppError, AppResult},
    notify, policy,
    text::{EmailAddress, csv::Csv, markdown},
    viewer::Person,
    web::{
        self, FormErrors, Layout, SignedIn,
        form::{self, Field, Fields, Form},
    },
};

pub fn router() -> Router<crate::state::AppState> {
    Router::new()
        .route("/cohorts/{slug}", get(show))
        .route("/cohorts/{slug}/members", get(members).post(add_member))
        .route("/cohorts/{slug}/members.csv", get(members_csv))
        .route(
            "/cohorts/{slug}/members/{person_id}/remove",
            get(remove_form).post(remove),
        )
        .route("/cohorts/{slug}/members/{person_id}/role", post(set_role))
        .route(
            "/cohorts/{slug}/members/{person_id}/listing",
            post(set_listing),
        )
        .route("/cohorts/{slug}/requests", get(requests))
        .route("/cohorts/{slug}/requests/{id}/approve", post(approve))
        .route("/cohorts/{slug}/requests/{id}/decline", post(decline))
}

/// The heading and navigation every page of a space shows (`cohorts/space_nav.html`).
pub struct SpaceNav {
    pub slug: String,
    pub name: String,
    /// Which tab: "overview", "discussion", "resources", "sessions", "members", "requests".
    pub current: &'static str,
    pub facilitator: bool,
    pub archived: bool,
    /// Join requests waiting, shown to facilitators.
    pub pending: i64,
}

impl SpaceNav {
    pub fn tabs(&self) -> Vec<(&'static str, String, &'static str)> {
        let base = format!("/cohorts/{}", self.slug);
        let mut tabs = vec![
            ("overview", base.clone(), "Overview"),
            ("discussion", format!("{base}/discussion"), "Discussion"),
            ("resources", format!("{base}/resources"), "Resources"),
            ("sessions", format!("{base}/sessions"), "Sessions"),
            ("members", format!("{base}/members"), "Members"),
        ];
        if self.facilitator {
            tabs.push(("requests", format!("{base}/requests"), "Requests"));
        }
        tabs
    }
    /// The count a tab shows: requests waiting, on the requests tab.
    pub fn badge(&self, tab: &str) -> i64 {
        if tab == "requests" { self.pending } else { 0 }
    }
    pub fn aria(&self, tab: &str) -> &'static str {
        if tab == self.current { "page" } else { "false" }
    }
}

/// The navigation of a space for this person, on the tab `current`.
pub async fn nav(
    state: &crate::state::AppState,
    person: &Person,
    access: &Access,
    current: &'static str,
) -> AppResult<SpaceNav> {
    let facilitator = access.can_facilitate(person);
    let pending = if facilitator {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM cohort_requests WHERE cohort_id = $1 AND status = 'pending'",
        )
        .bind(access.cohort.id)
        .fetch_one(&state.pool)
        .await?
    } else {
        0
    };
    Ok(SpaceNav {
        slug: access.cohort.slug.clone(),
        name: access.cohort.name.clone(),
        current,
        facilitator,
        archived: access.cohort.is_archived(),
        pending,
    })
}

#[derive(Template)]
#[template(path = "cohorts/show.html")]
struct ShowPage {
    layout: Layout,
    nav: SpaceNav,
    cohort: Cohort,
    description: String,
    membership: Option<super::Membership>,
    calendar_url: Option<String>,
    facilitators: Vec<Person>,
    sections: super::overview::Sections,
}

async fn show(SignedIn(ctx, person): SignedIn, Path(slug): Path<String>) -> AppResult<Response> {
    let access = super::enter(&ctx.state, &person, &slug).await?;
    let nav = nav(&ctx.state, &person, &access, "overview").await?;
    let (description, _) = markdown::render(&access.cohort.description);
    let facilitators = sqlx::query_as::<_, Person>(crate::select_people!(
        "JOIN cohort_members m ON m.person_id = p.id \
         WHERE m.cohort_id = $1 AND m.role = 'facilitator' AND p.active = 1 ORDER BY p.name"
    ))
    .bind(access.cohort.id)
    .fetch_all(&ctx.state.pool)
    .await?;
    let layout = ctx.layout().await;
    let sections = super::overview::sections(&ctx.state, &layout, &person, &access).await?;
    let mut layout = layout;
    layout.meta.title = access.cohort.name.clone();
    let calendar_url = access.membership.as_ref().map(|m| {
        format!(
            "{}/cohorts/calendar/{}.ics",
            ctx.state.config.base(),
            m.calendar_token
        )
    });
    Ok(web::render(&ShowPage {
        layout,
        nav,
        description,
        membership: access.membership.clone(),
        calendar_url,
        facilitators,
        sections,
        cohort: access.cohort,
    }))
}

/// A member as the members page shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub email: String,
    pub role: MemberRole,
    pub city_name: Option<String>,
    pub city_state: Option<String>,
    /// The person's own choice (people.listed).
    pub listed: i64,
    pub listed_override: Option<i64>,
    pub joined_at: i64,
    /// "active", or "lapsed" for a city whose membership lapsed (staff: "active").
    pub city_status: String,
}

impl Listed {
    pub fn city(&self) -> String {
        match (&self.city_name, &self.city_state) {
            (Some(n), Some(s)) => format!("{n}, {s}"),
            _ => "Staff".to_owned(),
        }
    }
    /// Whether members see this person in the list: a staff override, else their choice.
    pub fn shown(&self) -> bool {
        self.listed_override.unwrap_or(self.listed) == 1
    }
    /// Whether the person may use the cohort now (their city's membership has not lapsed).
    pub fn in_good_standing(&self) -> bool {
        self.city_status == "active"
    }
    pub fn listing_label(&self) -> &'static str {
        match self.listed_override {
            Some(1) => "Listed (staff override)",
            Some(_) => "Not listed (staff override)",
            None if self.listed == 1 => "Listed (own choice)",
            None => "Not listed (own choice)",
        }
    }
}

async fn all_members(pool: &sqlx::AnyPool, cohort_id: i64) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as::<_, Listed>(
        "SELECT p.id, p.name, p.title, p.email, m.role, c.name AS city_name, c.state AS city_state, \
         p.listed, m.listed_override, m.joined_at, COALESCE(c.status, 'active') AS city_status \
         FROM cohort_members m JOIN people p ON p.id = m.person_id LEFT JOIN cities c ON c.id = p.city_id \
         WHERE m.cohort_id = $1 AND p.active = 1 \
         ORDER BY CASE m.role WHEN 'facilitator' THEN 0 ELSE 1 END, p.name, p.id",
    )
    .bind(cohort_id)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub role: String,
}

static ADD_FIELDS: Fields = Fields(&[Field {
    name: "email",
    label: "the person's email address",
    max_len: 254,
    required: true,
}]);

#[derive(Template)]
#[template(path = "cohorts/members.html")]
struct MembersPage {
    layout: Layout,
    nav: SpaceNav,
    cohort: Cohort,
    /// Everyone, for staff; the listed ones for everyone else.
    people: Vec<Listed>,
    /// People in the cohort not shown (they chose not to be listed).
    unlisted: usize,
    manage: bool,
    can_add: bool,
    form: AddForm,
    errors: FormErrors,
    fields: &'static Fields,
}

async fn members_page(
    ctx: &web::Ctx,
    person: &Person,
    access: &Access,
    form: AddForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let nav = nav(&ctx.state, person, access, "members").await?;
    let manage = policy::can_manage_cohorts(person);
    let mut everyone = all_members(&ctx.state.pool, access.cohort.id).await?;
    // The people of a lapsed city are out of the cohort until renewal: only staff see them.
    if !manage {
        everyone.retain(Listed::in_good_standing);
    }
    let total = everyone.len();
    let people: Vec<Listed> = if manage {
        everyone
    } else {
        everyone.into_iter().filter(Listed::shown).collect()
    };
    let unlisted = total - people.len();
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Members: {}", access.cohort.name);
    let failed = !errors.is_empty();
    let page = MembersPage {
        layout,
        nav,
        cohort: access.cohort.clone(),
        people,
        unlisted,
        manage,
        can_add: access.can_facilitate(person) && access.can_write(person),
        form,
        errors,
        fields: &ADD_FIELDS,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
}

async fn members(SignedIn(ctx, person): SignedIn, Path(slug): Path<String>) -> AppResult<Response> {
    let access = super::enter(&ctx.state, &person, &slug).await?;
    members_page(
        &ctx,
        &person,
        &access,
        AddForm::default(),
        FormErrors::default(),
    )
    .await
}

/// Facilitators and staff add a person by email; staff may add a facilitator.
async fn add_member(
    SignedIn(ctx, person): SignedIn,
    Path(slug): Path<String>,
    Form(form): Form<AddForm>,
) -> AppResult<Response> {
    let access = super::enter_to_write(&ctx.state, &person, &slug).await?;
    web::permit(access.can_facilitate(&person))?;
    let mut check = ADD_FIELDS.check(&[]);
    let email = check.text("email", &form.email);
    let role = if form.role == "facilitator" && policy::can_manage_cohorts(&person) {
        MemberRole::Facilitator
    } else {
        MemberRole::Member
    };
    let email = match EmailAddress::parse(&email) {
        Ok(email) => Some(email),
        Err(message) => {
            if !check.has("email") {
                check.add("email", message);
            }
            None
        }
    };
    let found = match &email {
        None => None,
        Some(email) => {
            sqlx::query_as::<_, Person>(crate::select_people!(
                "WHERE p.email_norm = $1 AND p.active = 1"
            ))
            .bind(email.normalized())
            .fetch_optional(&ctx.state.pool)
            .await?
        }
    };
    let target = match found {
        Some(p) if policy::can_join_cohorts(&p) => Some(p),
        Some(_) => {
            check.add(
                "email",
                "This person cannot join cohorts: their city's membership has lapsed.",
            );
            None
        }
        None if !check.has("email") => {
            check.add(
                "email",
                "Nobody with this email address has an account. Invite them to the portal first.",
            );
            None
        }
        None => None,
    };
    let target = match (check.finish(), target) {
        (Ok(()), Some(target)) => target,
        (result, _) => {
            let kept = AddForm {
                email: ADD_FIELDS.keep("email", &form.email),
                role: form.role.clone(),
            };
            let errors = result.err().unwrap_or_default();
            return members_page(&ctx, &person, &access, kept, errors).await;
        }
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let added = super::add_member(&mut tx, access.cohort.id, target.id, role, now).await?;
    if added {
        audit::record(
            &mut tx,
            now,
            person.id,
            "cohort.member_added",
            audit::Subject {
                person_id: Some(target.id),
                city_id: target.city_id,
                detail: &format!("{} ({})", access.cohort.name, role.as_str()),
            },
        )
        .await?;
    }
    tx.commit().await?;
    ctx.flash(if added {
        format!("{} is now in {}.", target.name, access.cohort.name)
    } else {
        format!("{} was already in {}.", target.name, access.cohort.name)
    })
    .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/members")))
}

/// A member of this cohort, by id, as the management pages name them: the 404 of a missing
/// person when they are not in it.
async fn member_of(pool: &sqlx::AnyPool, cohort_id: i64, person_id: i64) -> AppResult<Listed> {
    all_members(pool, cohort_id)
        .await?
        .into_iter()
        .find(|m| m.id == person_id)
        .ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "cohorts/remove.html")]
struct RemovePage {
    layout: Layout,
    cohort: Cohort,
    member: Listed,
}

/// Staff remove a person from a cohort: the confirmation first.
async fn remove_form(
    SignedIn(ctx, person): SignedIn,
    Path((slug, person_id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let access = super::enter(&ctx.state, &person, &slug).await?;
    web::permit(policy::can_manage_cohorts(&person))?;
    let member = member_of(&ctx.state.pool, access.cohort.id, person_id).await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Remove {} from {}", member.name, access.cohort.name);
    Ok(web::render(&RemovePage {
        layout,
        cohort: access.cohort,
        member,
    }))
}

async fn remove(
    SignedIn(ctx, person): SignedIn,
    Path((slug, person_id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let access = super::enter(&ctx.state, &person, &slug).await?;
    web::permit(policy::can_manage_cohorts(&person))?;
    let member = member_of(&ctx.state.pool, access.cohort.id, person_id).await?;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query("DELETE FROM cohort_members WHERE cohort_id = $1 AND person_id = $2")
        .bind(access.cohort.id)
        .bind(person_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 1 {
        audit::record(
            &mut tx,
            now,
            person.id,
            "cohort.member_removed",
            audit::Subject {
                person_id: Some(person_id),
                city_id: None,
                detail: &access.cohort.name,
            },
        )
        .await?;
    }
    tx.commit().await?;
    ctx.flash(format!(
        "{} is no longer in {}.",
        member.name, access.cohort.name
    ))
    .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/members")))
}

#[derive(Debug, Default, Deserialize)]
pub struct ChoiceForm {
    #[serde(default)]
    pub value: String,
}

/// Staff make a member a facilitator, or a facilitator a member.
async fn set_role(
    SignedIn(ctx, person): SignedIn,
    Path((slug, person_id)): Path<(String, i64)>,
    Form(form): Form<ChoiceForm>,
) -> AppResult<Response> {
    let access = super::enter(&ctx.state, &person, &slug).await?;
    web::permit(policy::can_manage_cohorts(&person))?;
    let member = member_of(&ctx.state.pool, access.cohort.id, person_id).await?;
    let role = MemberRole::parse(&form.value)
        .ok_or_else(|| AppError::BadRequest("Choose member or facilitator.".to_owned()))?;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query(
        "UPDATE cohort_members SET role = $1 WHERE cohort_id = $2 AND person_id = $3 AND role <> $1",
    )
    .bind(role)
    .bind(access.cohort.id)
    .bind(person_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        audit::record(
            &mut tx,
            now,
            person.id,
            "cohort.role_changed",
            audit::Subject {
                person_id: Some(person_id),
                city_id: None,
                detail: &format!("{}: {}", access.cohort.name, role.as_str()),
            },
        )
        .await?;
    }
    tx.commit().await?;
    ctx.flash(format!(
        "{} is a {} of {}.",
        member.name,
        role.label().to_lowercase(),
        access.cohort.name
    ))
    .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/members")))
}

/// Staff override a member's own listing choice in this cohort (or return it to the
/// person's choice); every change is logged.
async fn set_listing(
    SignedIn(ctx, person): SignedIn,
    Path((slug, person_id)): Path<(String, i64)>,
    Form(form): Form<ChoiceForm>,
) -> AppResult<Response> {
    let access = super::enter(&ctx.state, &person, &slug).await?;
    web::permit(policy::can_manage_cohorts(&person))?;
    let member = member_of(&ctx.state.pool, access.cohort.id, person_id).await?;
    let (value, said): (Option<i64>, &str) = match form.value.as_str() {
        "listed" => (Some(1), "listed by staff"),
        "hidden" => (Some(0), "not listed, by staff"),
        "own" => (None, "listed as they chose"),
        _ => {
            return Err(AppError::BadRequest(
                "Choose listed, not listed, or the person's own choice.".to_owned(),
            ));
        }
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    sqlx::query(
        "UPDATE cohort_members SET listed_override = $1 WHERE cohort_id = $2 AND person_id = $3",
    )
    .bind(value)
    .bind(access.cohort.id)
    .bind(person_id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        now,
        person.id,
        "cohort.listing_override",
        audit::Subject {
            person_id: Some(person_id),
            city_id: None,
            detail: &format!("{}: {said}", access.cohort.name),
        },
    )
    .await?;
    tx.commit().await?;
    ctx.flash(format!(
        "In {}, {} is now {said}.",
        access.cohort.name, member.name
    ))
    .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/members")))
}

/// Staff export a cohort's members (everyone, listed or not) as CSV.
async fn members_csv(
    SignedIn(ctx, person): SignedIn,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    let access = super::enter(&ctx.state, &person, &slug).await?;
    web::permit(policy::can_manage_cohorts(&person))?;
    let zone = person.zone(&crate::time::Zone::of_stored(Some(
        &ctx.state.config.time_zone,
    )));
    let mut csv = Csv::new(["Name", "Title", "City", "Email", "Role", "Joined", "Listed"]);
    for m in all_members(&ctx.state.pool, access.cohort.id).await? {
        let row = [
            m.name.clone(),
            m.title.clone(),
            m.city(),
            m.email.clone(),
            m.role.label().to_owned(),
            zone.iso_date(m.joined_at),
            if m.shown() { "yes" } else { "no" }.to_owned(),
        ];
        csv.row(row);
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{}-members.csv\"",
                    access.cohort.slug
                ),
            ),
        ],
        csv.finish(),
    )
        .into_response())
}

/// A join request as facilitators see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Request {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub title: String,
    pub city_name: Option<String>,
    pub city_state: Option<String>,
    pub message: String,
    pub created_at: i64,
}

impl Request {
    pub fn city(&self) -> String {
        match (&self.city_name, &self.city_state) {
            (Some(n), Some(s)) => format!("{n}, {s}"),
            _ => String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "cohorts/requests.html")]
struct RequestsPage {
    layout: Layout,
    nav: SpaceNav,
    cohort: Cohort,
    requests: Vec<Request>,
}

async fn requests(
    SignedIn(ctx, person): SignedIn,
    Path(slug): Path<String>,
) -> AppResult<Response> {
    let access = super::enter_to_facilitate(&ctx.state, &person, &slug).await?;
    let nav = nav(&ctx.state, &person, &access, "requests").await?;
    let requests = sqlx::query_as::<_, Request>(
        "SELECT r.id, r.person_id, p.name, p.title, c.name AS city_name, c.state AS city_state, \
         r.message, r.created_at \
         FROM cohort_requests r JOIN people p ON p.id = r.person_id LEFT JOIN cities c ON c.id = p.city_id \
         WHERE r.cohort_id = $1 AND r.status = 'pending' ORDER BY r.created_at, r.id",
    )
    .bind(access.cohort.id)
    .fetch_all(&ctx.state.pool)
    .await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Requests to join: {}", access.cohort.name);
    Ok(web::render(&RequestsPage {
        layout,
        nav,
        cohort: access.cohort,
        requests,
    }))
}

async fn approve(
    SignedIn(ctx, person): SignedIn,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    decide(ctx, person, slug, id, true).await
}

async fn decline(
    SignedIn(ctx, person): SignedIn,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    decide(ctx, person, slug, id, false).await
}

/// Approves or declines a pending request once: the first decision wins, and only it adds
/// the person and sends the email.
async fn decide(
    ctx: web::Ctx,
    person: Person,
    slug: String,
    id: i64,
    approved: bool,
) -> AppResult<Response> {
    let access = super::enter_to_facilitate(&ctx.state, &person, &slug).await?;
    if !access.can_write(&person) {
        return Err(AppError::NoAccess(
            "This cohort is archived: nobody joins it any more.".to_owned(),
        ));
    }
    let cohort = &access.cohort;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let asker: Option<i64> = sqlx::query_scalar(
        "UPDATE cohort_requests SET status = $1, decided_at = $2, decided_by = $3 \
         WHERE id = $4 AND cohort_id = $5 AND status = 'pending' RETURNING person_id",
    )
    .bind(if approved { "approved" } else { "declined" })
    .bind(now)
    .bind(person.id)
    .bind(id)
    .bind(cohort.id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(asker_id) = asker else {
        tx.rollback().await?;
        ctx.flash("This request was already answered.").await?;
        return Ok(web::see_other(&format!("/cohorts/{slug}/requests")));
    };
    let asker = sqlx::query_as::<_, Person>(crate::select_people!("WHERE p.id = $1"))
        .bind(asker_id)
        .fetch_one(&mut *tx)
        .await?;
    // A person whose city lapsed since asking is told no: they could not enter.
    let approved = approved && asker.is_active() && policy::can_join_cohorts(&asker);
    if approved {
        super::add_member(&mut tx, cohort.id, asker.id, MemberRole::Member, now).await?;
    }
    if asker.is_active() {
        let base = ctx.state.config.base();
        let email = emails::RequestDecision {
            org_name: ctx.state.config.org_name.clone(),
            name: asker.name.clone(),
            cohort_name: cohort.name.clone(),
            approved,
            link: if approved {
                format!("{base}/cohorts/{}", cohort.slug)
            } else {
                format!("{base}/cohorts")
            },
        };
        notify::enqueue(&mut tx, &ctx.state, &asker.email, &email).await?;
    }
    tx.commit().await?;
    ctx.flash(if approved {
        format!("{} is now a member of {}.", asker.name, cohort.name)
    } else {
        format!("The request of {} is declined.", asker.name)
    })
    .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/requests")))
}
