//! A cohort's space, for its members and staff: the overview (what the cohort is, the
//! person's membership, following, calendar), its members (listed ones; staff manage them
//! all, facilitators add people), join requests for facilitators, and the members' CSV for
//! staff. Every handler enters through `super::enter*`, the one door.

use crate::web::door::{self, Inside, Leading, Level, Steering};
use askama::Template;
use axum::{
    Router,
    extract::Path,
    http::header,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{Access, Cohort, MemberRole, RequestStatus, emails};
use crate::{
    audit, db,
    error::{AppError, AppResult},
    notify, policy,
    text::{EmailAddress, csv::Csv, markdown},
    viewer::Person,
    web::{
        self, FormErrors, Layout,
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
        .route(
            "/cohorts/{slug}/requests/{id}/decline",
            get(decline_form).post(decline),
        )
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
    facilitators: Vec<Person>,
    sections: super::overview::Sections,
}

async fn show(Inside(ctx, person, access): Inside<Access>) -> AppResult<Response> {
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
    Ok(web::render(&ShowPage {
        layout,
        nav,
        description,
        membership: access.membership.clone(),
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
    /// 1 once the person chose whether to be listed; 0: never chose ("not yet listed").
    pub listing_chosen: i64,
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
            None if self.listing_chosen == 1 => "Not listed (own choice)",
            None => "Not yet listed (has not chosen)",
        }
    }
}

async fn all_members(pool: &sqlx::AnyPool, cohort_id: i64) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as::<_, Listed>(
        "SELECT p.id, p.name, p.title, p.email, m.role, c.name AS city_name, c.state AS city_state, \
         p.listed, CASE WHEN p.listing_chosen_at IS NULL THEN 0 ELSE 1 END AS listing_chosen, m.listed_override, m.joined_at, COALESCE(c.status, 'active') AS city_status \
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
    lines: false,
}]);

#[derive(Template)]
#[template(path = "cohorts/members.html")]
struct MembersPage {
    layout: Layout,
    nav: SpaceNav,
    cohort: Cohort,
    /// Everyone, for staff; the listed ones for everyone else.
    people: Vec<Listed>,
    /// People in the cohort not shown (not listed: by their choice, because they have not
    /// chosen yet, or by staff).
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
    let everyone = all_members(&ctx.state.pool, access.cohort.id).await?;
    // The people of a lapsed city are out of the cohort until renewal: not counted.
    let total = everyone
        .iter()
        .filter(|m| manage || m.in_good_standing())
        .count();
    let people: Vec<Listed> = everyone
        .into_iter()
        .filter(|m| {
            policy::cohort_lists_member(
                person,
                m.in_good_standing(),
                m.listed == 1,
                m.listed_override.map(|o| o == 1),
            )
        })
        .collect();
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
        can_add: policy::can_bring_into_cohort(person, access.standing),
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

async fn members(Inside(ctx, person, access): Inside<Access>) -> AppResult<Response> {
    members_page(
        &ctx,
        &person,
        &access,
        AddForm::default(),
        FormErrors::default(),
    )
    .await
}

/// Staff add a person by email (and may add a facilitator); a facilitator who is not staff
/// invites, and the person accepts before being in the cohort. A facilitator is told the
/// same thing whoever the address belongs to (or nobody), so the form reveals nothing about
/// accounts outside the cohort.
async fn add_member(
    Steering(ctx, person, access): Steering<Access>,
    Form(form): Form<AddForm>,
) -> AppResult<Response> {
    web::permit(policy::can_bring_into_cohort(&person, access.standing))?;
    let mut check = ADD_FIELDS.check();
    let entered = check.text("email", &form.email);
    // An address that is not one is said so: that is about the typing, not about accounts.
    let email = match EmailAddress::parse(&entered) {
        Ok(email) => Some(email),
        Err(message) => {
            if !check.has("email") {
                check.add("email", message);
            }
            None
        }
    };
    let result = check.finish();
    let (Ok(()), Some(email)) = (result.clone(), email) else {
        let kept = AddForm {
            email: ADD_FIELDS.keep("email", &form.email),
            role: form.role.clone(),
        };
        return members_page(
            &ctx,
            &person,
            &access,
            kept,
            result.err().unwrap_or_default(),
        )
        .await;
    };
    let found = sqlx::query_as::<_, Person>(crate::select_people!(
        "WHERE p.email_norm = $1 AND p.active = 1"
    ))
    .bind(email.normalized())
    .fetch_optional(&ctx.state.pool)
    .await?
    .filter(|target| policy::can_add_to_cohort(&person, access.standing, target));
    if policy::cohort_adding_invites(&person) {
        if let Some(target) = found {
            invite(&ctx, &person, &access, &target).await?;
        }
        ctx.flash(format!(
            "If {entered} belongs to a member of the network who can join cohorts and is not in {} yet, they are invited by email, and in the cohort once they accept.",
            access.cohort.name
        ))
        .await?;
        return Ok(web::see_other(&format!("{}/members", access.cohort.href())));
    }
    let Some(target) = found else {
        let mut errors = FormErrors::default();
        errors.add(
            "email",
            "Nobody who can join cohorts has this email address: check it, or invite them to the portal first.",
        );
        let kept = AddForm {
            email: ADD_FIELDS.keep("email", &form.email),
            role: form.role.clone(),
        };
        return members_page(&ctx, &person, &access, kept, errors).await;
    };
    let role = if form.role == "facilitator" {
        MemberRole::Facilitator
    } else {
        MemberRole::Member
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
    Ok(web::see_other(&format!("{}/members", access.cohort.href())))
}

/// Invites a person to the cohort once (an open invitation is not repeated, a member is not
/// invited), with an email through the outbox.
async fn invite(
    ctx: &web::Ctx,
    person: &Person,
    access: &Access,
    target: &Person,
) -> AppResult<()> {
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let member = super::membership(&mut tx, access.cohort.id, target.id).await?;
    if member.is_some() {
        return Ok(());
    }
    let done = sqlx::query(
        "INSERT INTO cohort_invitations (cohort_id, person_id, invited_by, status, created_at) \
         VALUES ($1, $2, $3, 'pending', $4) \
         ON CONFLICT (cohort_id, person_id) WHERE status = 'pending' DO NOTHING",
    )
    .bind(access.cohort.id)
    .bind(target.id)
    .bind(person.id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        let email = emails::Invitation {
            org_name: ctx.state.config.org_name.clone(),
            name: target.name.clone(),
            inviter_name: person.name.clone(),
            cohort_name: access.cohort.name.clone(),
            link: format!("{}/cohorts", ctx.state.config.base()),
        };
        notify::enqueue(&mut tx, &ctx.state, &target.email, &email).await?;
        audit::record(
            &mut tx,
            now,
            person.id,
            "cohort.member_invited",
            audit::Subject {
                person_id: Some(target.id),
                city_id: target.city_id,
                detail: &access.cohort.name,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
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

/// Staff remove a person from a cohort: the confirmation first.
async fn remove_form(
    Inside(ctx, person, access): Inside<Access>,
    Path((_, person_id)): Path<(String, i64)>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_cohorts(&person))?;
    let member = member_of(&ctx.state.pool, access.cohort.id, person_id).await?;
    let cohort = &access.cohort;
    let list = format!("{}/members", cohort.href());
    Ok(web::confirm::Confirm {
        layout: ctx.layout().await,
        title: format!("Remove {} from {}", member.name, cohort.name),
        heading: format!("Remove {} from {}?", member.name, cohort.name),
        explanation: format!(
            "{} ({}) will no longer see the cohort or get its emails. What they wrote stays.",
            member.name,
            member.city()
        ),
        action: format!("{list}/{}/remove", member.id),
        button: format!("Remove {}", member.name),
        back: list.clone(),
        back_label: format!("Keep {} in the cohort", member.name),
        crumb: Some((list, format!("Members of {}", cohort.name))),
        detail: None,
        note: None,
    }
    .render())
}

async fn remove(
    Inside(ctx, person, access): Inside<Access>,
    Path((slug, person_id)): Path<(String, i64)>,
) -> AppResult<Response> {
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
        // A state, not only a deleted row: the person does not join again by themselves.
        sqlx::query(
            "INSERT INTO cohort_removals (cohort_id, person_id, removed_at, removed_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (cohort_id, person_id) \
             DO UPDATE SET removed_at = excluded.removed_at, removed_by = excluded.removed_by",
        )
        .bind(access.cohort.id)
        .bind(person_id)
        .bind(now)
        .bind(person.id)
        .execute(&mut *tx)
        .await?;
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
    Inside(ctx, person, access): Inside<Access>,
    Path((slug, person_id)): Path<(String, i64)>,
    Form(form): Form<ChoiceForm>,
) -> AppResult<Response> {
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
    Inside(ctx, person, access): Inside<Access>,
    Path((slug, person_id)): Path<(String, i64)>,
    Form(form): Form<ChoiceForm>,
) -> AppResult<Response> {
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
async fn members_csv(Inside(ctx, person, access): Inside<Access>) -> AppResult<Response> {
    web::permit(policy::can_manage_cohorts(&person))?;
    let zone = person.zone(&ctx.state.config.time_zone);
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
                crate::files::Disposition::Attachment
                    .value(&format!("{}-members.csv", access.cohort.slug)),
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

async fn requests(Leading(ctx, person, access): Leading<Access>) -> AppResult<Response> {
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
    Steering(ctx, person, access): Steering<Access>,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    decide(ctx, person, access, slug, id, true, "").await
}

#[derive(Debug, Default, Deserialize)]
pub struct DeclineForm {
    #[serde(default)]
    pub reason: String,
}

static DECLINE_FIELDS: Fields = Fields(&[Field {
    name: "reason",
    label: "the reason",
    max_len: 1000,
    required: false,
    lines: true,
}]);

/// The confirmation before a request is declined, with an optional reason for the person.
async fn decline_form(
    Steering(ctx, _, access): Steering<Access>,
    Path((_, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    match decline_page(&ctx, &access, id, String::new()).await {
        Ok(page) => Ok(page.render()),
        // An old link: the request was answered since.
        Err(AppError::NotFound) => {
            ctx.flash("This request was already answered.").await?;
            Ok(web::see_other(&format!(
                "{}/requests",
                access.cohort.href()
            )))
        }
        Err(e) => Err(e),
    }
}

async fn decline_page(
    ctx: &web::Ctx,
    access: &Access,
    id: i64,
    reason: String,
) -> AppResult<web::confirm::Confirm> {
    let cohort = &access.cohort;
    let name: String = sqlx::query_scalar(
        "SELECT p.name FROM cohort_requests r JOIN people p ON p.id = r.person_id \
         WHERE r.id = $1 AND r.cohort_id = $2 AND r.status = 'pending'",
    )
    .bind(id)
    .bind(cohort.id)
    .fetch_optional(&ctx.state.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let list = format!("{}/requests", cohort.href());
    Ok(web::confirm::Confirm {
        layout: ctx.layout().await,
        title: format!("Decline: {name}'s request to join {}", cohort.name),
        heading: format!("Decline {name}'s request to join {}?", cohort.name),
        explanation: format!(
            "{name} gets an email saying the request is declined, with your reason if you give one. They may ask again later."
        ),
        action: format!("{list}/{id}/decline"),
        button: "Decline the request".to_owned(),
        back: list.clone(),
        back_label: "Keep it waiting".to_owned(),
        crumb: Some((list, format!("Requests to join {}", cohort.name))),
        detail: None,
        note: Some(web::confirm::Note {
            field: DECLINE_FIELDS.get("reason"),
            label: "Your reason (optional)",
            hint: "Sent to the person with the answer.",
            value: reason,
        }),
    })
}

async fn decline(
    Steering(ctx, person, access): Steering<Access>,
    Path((slug, id)): Path<(String, i64)>,
    Form(form): Form<DeclineForm>,
) -> AppResult<Response> {
    let mut check = DECLINE_FIELDS.check();
    let reason = check.text("reason", &form.reason);
    if let Err(errors) = check.finish() {
        // The one field's message, on the confirmation page that holds it.
        let why = errors
            .get("reason")
            .unwrap_or("Check the reason.")
            .to_owned();
        let mut page = decline_page(
            &ctx,
            &access,
            id,
            DECLINE_FIELDS.keep("reason", &form.reason),
        )
        .await?;
        page.explanation = why;
        return Ok(form::again(&page));
    }
    decide(ctx, person, access, slug, id, false, &reason).await
}

/// Approves or declines a pending request once: the first decision wins, and only it adds
/// the person and sends the email.
async fn decide(
    ctx: web::Ctx,
    person: Person,
    access: Access,
    slug: String,
    id: i64,
    approved: bool,
    reason: &str,
) -> AppResult<Response> {
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    // The door again, in the transaction: the facilitator may have lost the cohort meanwhile.
    let (person, access) = door::again(&mut tx, &person, &access, Level::Steer).await?;
    let cohort = &access.cohort;
    // Decide first, then store what was decided: a person whose city lapsed or who was
    // deactivated since asking cannot join, so an approval becomes a decline, stored as one.
    let asker = sqlx::query_as::<_, Person>(crate::select_people!(
        "JOIN cohort_requests r ON r.person_id = p.id \
         WHERE r.id = $1 AND r.cohort_id = $2 AND r.status = 'pending'"
    ))
    .bind(id)
    .bind(cohort.id)
    .fetch_optional(&mut *tx)
    .await?;
    let fit = asker
        .as_ref()
        .is_some_and(|a| a.is_active() && policy::can_join_cohorts(a));
    let outcome = approved && fit;
    let won = asker.is_some()
        && db::transition(
            &mut tx,
            id,
            RequestStatus::Pending,
            if outcome {
                RequestStatus::Approved
            } else {
                RequestStatus::Declined
            },
            now,
            Some(person.id),
        )
        .await?;
    let Some(asker) = asker.filter(|_| won) else {
        tx.rollback().await?;
        ctx.flash("This request was already answered.").await?;
        return Ok(web::see_other(&format!("/cohorts/{slug}/requests")));
    };
    let approved = outcome;
    if !reason.is_empty() {
        sqlx::query("UPDATE cohort_requests SET decision_note = $1 WHERE id = $2")
            .bind(reason)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let told = Told {
        approved,
        fit,
        reason,
    };
    carry_out(&ctx, &mut tx, &person, cohort, &asker, id, told, now).await?;
    tx.commit().await?;
    ctx.flash(if approved {
        format!("{} is now a member of {}.", asker.name, cohort.name)
    } else if !fit {
        format!(
            "{} can no longer join cohorts (their city's membership has lapsed or their account is closed): the request is declined.",
            asker.name
        )
    } else {
        format!("The request of {} is declined.", asker.name)
    })
    .await?;
    Ok(web::see_other(&format!("/cohorts/{slug}/requests")))
}

/// What a decision comes to: approved or not, whether the person could still join, and the
/// facilitator's reason for a decline.
struct Told<'a> {
    approved: bool,
    fit: bool,
    reason: &'a str,
}

/// What follows a decision, in its transaction: the person added (approved), the audit line
/// of an approval that became a decline, and the email to the person who asked.
#[expect(
    clippy::too_many_arguments,
    reason = "one decision's facts, passed once"
)]
async fn carry_out(
    ctx: &web::Ctx,
    tx: &mut crate::db::WriteTx,
    person: &Person,
    cohort: &Cohort,
    asker: &Person,
    id: i64,
    told: Told<'_>,
    now: i64,
) -> AppResult<()> {
    let Told {
        approved,
        fit,
        reason,
    } = told;
    if approved {
        super::add_member(tx, cohort.id, asker.id, MemberRole::Member, now).await?;
    } else if !fit {
        tracing::info!(
            request = id,
            cohort = %cohort.slug,
            "a join request was approved for a person who can no longer join: stored as declined"
        );
        audit::record(
            tx,
            now,
            person.id,
            "cohort.request_declined",
            audit::Subject {
                person_id: Some(asker.id),
                city_id: asker.city_id,
                detail: &format!(
                    "{}: declined because the person can no longer join cohorts",
                    cohort.name
                ),
            },
        )
        .await?;
    }
    if asker.is_active() {
        let base = ctx.state.config.base();
        let email = emails::RequestDecision {
            org_name: ctx.state.config.org_name.clone(),
            name: asker.name.clone(),
            cohort_name: cohort.name.clone(),
            approved,
            reason: reason.to_owned(),
            link: if approved {
                format!("{base}/cohorts/{}", cohort.slug)
            } else {
                format!("{base}/cohorts")
            },
        };
        notify::enqueue(tx, &ctx.state, &asker.email, &email).await?;
    }
    Ok(())
}
