//! Join requests, for facilitators: the list of waiting ones, and approving or declining each
//! once (a decline after a confirmation, with an optional reason for the person).

use askama::Template;
use axum::{
    extract::{Path, Query},
    response::Response,
};
use serde::Deserialize;

use super::{SpaceNav, nav};
use crate::{
    audit,
    cohorts::{self, Access, Cohort, MemberRole, RequestStatus, emails},
    db,
    error::{AppError, AppResult},
    notify, policy,
    viewer::Person,
    web::{
        self, Layout,
        door::{self, Leading, Level, Steering},
        form::{self, Field, Fields, Form},
        paging,
    },
};

/// A join request as facilitators see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Request {
    pub id: i64,
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

/// Requests on a page of the list.
const PAGE: i64 = 20;

#[derive(Template)]
#[template(path = "cohorts/requests.html")]
struct RequestsPage {
    layout: Layout,
    nav: SpaceNav,
    cohort: Cohort,
    requests: Vec<Request>,
    earlier: Option<String>,
    later: Option<String>,
}

/// The SELECT of a page of the waiting requests: $1 cohort, ($2, $3) the bound, $4 the limit.
macro_rules! waiting_requests {
    ($rest:literal) => {
        concat!(
            "SELECT r.id, p.name, p.title, c.name AS city_name, c.state AS city_state, \
             r.message, r.created_at \
             FROM cohort_requests r JOIN people p ON p.id = r.person_id LEFT JOIN cities c ON c.id = p.city_id \
             WHERE r.cohort_id = $1 AND r.status = 'pending' ",
            $rest
        )
    };
}

/// A page of a cohort's waiting requests, oldest first.
async fn waiting(
    pool: &sqlx::AnyPool,
    cohort_id: i64,
    request: &paging::Request,
) -> sqlx::Result<paging::Page<Request>> {
    let sql = if request.reads_ascending() {
        waiting_requests!(
            "AND (r.created_at, r.id) > ($2, $3) ORDER BY r.created_at ASC, r.id ASC LIMIT $4"
        )
    } else {
        waiting_requests!(
            "AND (r.created_at, r.id) < ($2, $3) ORDER BY r.created_at DESC, r.id DESC LIMIT $4"
        )
    };
    let bound = request.bound();
    let rows = sqlx::query_as::<_, Request>(sql)
        .bind(cohort_id)
        .bind(bound.key)
        .bind(bound.id)
        .bind(request.limit())
        .fetch_all(pool)
        .await?;
    Ok(paging::Page::from_rows(request, rows, |r| {
        paging::Cursor::new(r.created_at, r.id)
    }))
}

pub(super) async fn requests(
    Leading(ctx, person, access): Leading<Access>,
    Query(q): Query<paging::PageQuery>,
) -> AppResult<Response> {
    let request = q.request(paging::Order::Ascending, PAGE)?;
    let nav = nav(&ctx.state, &person, &access, "requests").await?;
    let page = waiting(&ctx.state.pool, access.cohort.id, &request).await?;
    if page.items.is_empty() && !request.is_first() {
        return Err(AppError::NotFound);
    }
    let base = format!("{}/requests", access.cohort.href());
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Requests to join: {}", access.cohort.name);
    Ok(web::render(&RequestsPage {
        layout,
        nav,
        cohort: access.cohort,
        earlier: page.previous_href(&base),
        later: page.next_href(&base),
        requests: page.items,
    }))
}

pub(super) async fn approve(
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
pub(super) async fn decline_form(
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

pub(super) async fn decline(
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
        cohorts::add_member(tx, cohort.id, asker.id, MemberRole::Member, now).await?;
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
            org_name: crate::web::identity::org_name_on(tx, &ctx.state).await?,
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
