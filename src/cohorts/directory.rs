//! `/cohorts`: the cohorts a person may see, each with what the person can do about it (join,
//! ask to join, withdraw the request, open it), and the person's own comings and goings:
//! joining an open cohort, asking to join one by request, withdrawing, leaving, and
//! following or not (activity emails).

use super::Access;
use crate::web::door::{Inside, Outside};
use askama::Template;
use axum::{
    Router,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

use super::{Cohort, JoinPolicy, MemberRole, emails};
use crate::{
    error::{AppError, AppResult},
    notify, policy,
    viewer::Person,
    web::{
        self, FormErrors, Layout, Member,
        form::{self, Field, Fields, Form},
    },
};

pub fn router() -> Router<crate::state::AppState> {
    Router::new()
        .route("/cohorts", get(list))
        .route("/cohorts/{slug}/join", post(join))
        .route("/cohorts/{slug}/request", get(request_form).post(request))
        .route("/cohorts/{slug}/request/withdraw", post(withdraw))
        .route("/cohorts/{slug}/leave", get(leave_form).post(leave))
        .route("/cohorts/{slug}/following", post(following))
        .route("/cohorts/{slug}/calendar/renew", post(renew_calendar))
        .route("/cohorts/calendar", post(renew_all_calendar))
        .route("/cohorts/{slug}/invitation/accept", post(accept))
        .route("/cohorts/{slug}/invitation/decline", post(decline))
}

/// Where a person stands with a cohort, as the list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Join,
    RequestToJoin,
    Requested,
    /// A facilitator invited the person: accept or decline.
    Invited,
    /// Staff removed the person, who may be invited again.
    Removed,
    InvitationOnly,
    Member,
    Facilitator,
    /// Archived, and the person is in it (or staff).
    Archived,
    /// Staff, who enter every cohort without being in it.
    Staff,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Join => "Open to join",
            State::RequestToJoin => "Join by request",
            State::Requested => "Requested",
            State::Invited => "Invited",
            State::Removed => "Removed",
            State::InvitationOnly => "Invitation only",
            State::Member => "Member",
            State::Facilitator => "Facilitator",
            State::Archived => "Archived",
            State::Staff => "Staff access",
        }
    }
    pub fn enters(self) -> bool {
        matches!(
            self,
            State::Member | State::Facilitator | State::Archived | State::Staff
        )
    }
}

pub struct Item {
    pub cohort: Cohort,
    pub state: State,
    pub members: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    cohort: Cohort,
    role: Option<MemberRole>,
    requested: i64,
    invited: i64,
    removed: i64,
    members: i64,
}

/// The cohorts this person may see, with their state for the person.
pub async fn visible_to(state: &crate::state::AppState, person: &Person) -> AppResult<Vec<Item>> {
    let scope = policy::cohort_scope(Some(person));
    let rows = sqlx::query_as::<_, Row>(concat!(
        "SELECT ",
        crate::cohort_columns!("c"),
        ", m.role, \
         (SELECT COUNT(*) FROM cohort_requests r WHERE r.cohort_id = c.id AND r.person_id = $1 AND r.status = 'pending') AS requested, \
         (SELECT COUNT(*) FROM cohort_invitations i WHERE i.cohort_id = c.id AND i.person_id = $1 AND i.status = 'pending') AS invited, \
         (SELECT COUNT(*) FROM cohort_removals x WHERE x.cohort_id = c.id AND x.person_id = $1) AS removed, \
         (SELECT COUNT(*) FROM cohort_members a WHERE a.cohort_id = c.id) AS members \
         FROM cohorts c LEFT JOIN cohort_members m ON m.cohort_id = c.id AND m.person_id = $1 \
         WHERE ",
        crate::cohort_seen!("c", "m", "$1", "$2", "$3"),
        " ORDER BY CASE c.status WHEN 'active' THEN 0 ELSE 1 END, c.name, c.id"
    ))
    .bind(scope.person)
    .bind(scope.open)
    .bind(scope.all)
    .fetch_all(&state.pool)
    .await?;
    let mut items = Vec::new();
    for row in rows {
        let state = if row.cohort.is_archived() {
            State::Archived
        } else if row.role == Some(MemberRole::Facilitator) {
            State::Facilitator
        } else if row.role.is_some() {
            State::Member
        } else if row.invited > 0 {
            State::Invited
        } else if row.requested > 0 {
            State::Requested
        } else if row.removed > 0 && !policy::can_manage_cohorts(person) {
            State::Removed
        } else if policy::can_manage_cohorts(person) {
            State::Staff
        } else {
            match row.cohort.join_policy {
                JoinPolicy::Open => State::Join,
                JoinPolicy::Request => State::RequestToJoin,
                JoinPolicy::Invite => State::InvitationOnly,
            }
        };
        items.push(Item {
            cohort: row.cohort,
            state,
            members: row.members,
        });
    }
    Ok(items)
}

/// One cohort as the list shows it to this person, if the person may see it.
pub async fn item_of(
    state: &crate::state::AppState,
    person: &Person,
    cohort_id: i64,
) -> AppResult<Option<Item>> {
    Ok(visible_to(state, person)
        .await?
        .into_iter()
        .find(|item| item.cohort.id == cohort_id))
}

#[derive(Template)]
#[template(path = "cohorts/list.html")]
struct ListPage {
    layout: Layout,
    items: Vec<Item>,
    can_manage: bool,
}

async fn list(Member(ctx, person): Member) -> AppResult<Response> {
    let items = visible_to(&ctx.state, &person).await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = "Cohorts & networks".to_owned();
    Ok(web::render(&ListPage {
        layout,
        items,
        can_manage: policy::can_manage_cohorts(&person),
    }))
}

/// Whether the person outside a cohort they see may join it or ask to (403 with the reason
/// otherwise): the question every handler behind the `Outside` door asks first.
fn joinable(person: &Person, access: &Access) -> AppResult<()> {
    match policy::cohort_join_refusal(person, access.standing) {
        Some(why) => Err(AppError::NoAccess(why.to_owned())),
        None => Ok(()),
    }
}

async fn join(Outside(ctx, person, access): Outside<Access>) -> AppResult<Response> {
    joinable(&person, &access)?;
    let cohort = &access.cohort;
    if access.membership.is_none() {
        if cohort.join_policy != JoinPolicy::Open && !policy::can_manage_cohorts(&person) {
            return Err(AppError::NoAccess(match cohort.join_policy {
                JoinPolicy::Request => "This cohort is joined by request: ask to join it.".into(),
                _ => "This cohort is by invitation only.".into(),
            }));
        }
        let mut tx = ctx.state.begin_write().await?;
        super::add_member(
            &mut tx,
            cohort.id,
            person.id,
            MemberRole::Member,
            ctx.state.clock.now(),
        )
        .await?;
        tx.commit().await?;
    }
    ctx.flash(format!("You are a member of {}.", cohort.name))
        .await?;
    Ok(web::see_other(&cohort.href()))
}

/// The person accepts a facilitator's invitation: in the cohort at once, if the invitation
/// is still open (answered once, however many clicks).
async fn accept(Outside(ctx, person, access): Outside<Access>) -> AppResult<Response> {
    answer(ctx, person, access, true).await
}

/// The person declines a facilitator's invitation.
async fn decline(Outside(ctx, person, access): Outside<Access>) -> AppResult<Response> {
    answer(ctx, person, access, false).await
}

async fn answer(
    ctx: web::Ctx,
    person: Person,
    access: Access,
    accepting: bool,
) -> AppResult<Response> {
    joinable(&person, &access)?;
    let cohort = &access.cohort;
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query(
        "UPDATE cohort_invitations SET status = $1, decided_at = $2 \
         WHERE cohort_id = $3 AND person_id = $4 AND status = 'pending'",
    )
    .bind(if accepting { "accepted" } else { "declined" })
    .bind(now)
    .bind(cohort.id)
    .bind(person.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        tx.rollback().await?;
        ctx.flash("This invitation was already answered.").await?;
        return Ok(web::see_other("/cohorts"));
    }
    if accepting {
        super::add_member(&mut tx, cohort.id, person.id, MemberRole::Member, now).await?;
    }
    tx.commit().await?;
    if accepting {
        ctx.flash(format!("You are a member of {}.", cohort.name))
            .await?;
        Ok(web::see_other(&cohort.href()))
    } else {
        ctx.flash(format!("You declined the invitation to {}.", cohort.name))
            .await?;
        Ok(web::see_other("/cohorts"))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    pub message: String,
}

static REQUEST_FIELDS: Fields = Fields(&[Field {
    name: "message",
    label: "your message",
    max_len: 2000,
    required: false,
    lines: true,
}]);

#[derive(Template)]
#[template(path = "cohorts/request.html")]
struct RequestPage {
    layout: Layout,
    cohort: Cohort,
    form: RequestForm,
    errors: FormErrors,
    fields: &'static Fields,
}

async fn request_form(Outside(ctx, person, access): Outside<Access>) -> AppResult<Response> {
    joinable(&person, &access)?;
    if access.membership.is_some() {
        return Ok(web::see_other(&access.cohort.href()));
    }
    web::permit(access.cohort.join_policy == JoinPolicy::Request)?;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Ask to join: {}", access.cohort.name);
    Ok(web::render(&RequestPage {
        layout,
        cohort: access.cohort,
        form: RequestForm::default(),
        errors: FormErrors::default(),
        fields: &REQUEST_FIELDS,
    }))
}

async fn request(
    Outside(ctx, person, access): Outside<Access>,
    Form(form): Form<RequestForm>,
) -> AppResult<Response> {
    joinable(&person, &access)?;
    let cohort = access.cohort;
    if access.membership.is_some() {
        return Ok(web::see_other(&cohort.href()));
    }
    web::permit(cohort.join_policy == JoinPolicy::Request)?;
    let mut check = REQUEST_FIELDS.check();
    let message = check.text("message", &form.message);
    if let Err(errors) = check.finish() {
        let mut layout = ctx.layout().await;
        layout.meta.title = format!("Ask to join: {}", cohort.name);
        let kept = RequestForm {
            message: REQUEST_FIELDS.keep("message", &form.message),
        };
        return Ok(form::again(&RequestPage {
            layout,
            cohort,
            form: kept,
            errors,
            fields: &REQUEST_FIELDS,
        }));
    }
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    // One pending request per person and cohort (a unique index): a second is no change.
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO cohort_requests (cohort_id, person_id, message, status, created_at) \
         VALUES ($1, $2, $3, 'pending', $4) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(cohort.id)
    .bind(person.id)
    .bind(&message)
    .bind(now)
    .fetch_optional(&mut *tx)
    .await?;
    if id.is_some() {
        let link = format!(
            "{}/cohorts/{}/requests",
            ctx.state.config.base(),
            cohort.slug
        );
        let org_name = crate::web::identity::org_name_on(&mut tx, &ctx.state).await?;
        for facilitator in super::facilitators_to_tell(&mut tx, &cohort).await? {
            let email = emails::JoinRequest {
                org_name: org_name.clone(),
                facilitator_name: facilitator.name.clone(),
                person_name: person.name.clone(),
                person_city: person.city_label(),
                cohort_name: cohort.name.clone(),
                message: message.clone(),
                link: link.clone(),
            };
            notify::enqueue(&mut tx, &ctx.state, &facilitator.email, &email).await?;
        }
    }
    tx.commit().await?;
    ctx.flash(format!(
        "Your request to join {} is sent. A facilitator will answer it; you will get an email.",
        cohort.name
    ))
    .await?;
    Ok(web::see_other("/cohorts"))
}

async fn withdraw(Outside(ctx, person, access): Outside<Access>) -> AppResult<Response> {
    joinable(&person, &access)?;
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query(
        "UPDATE cohort_requests SET status = 'withdrawn', decided_at = $1, decided_by = $2 \
         WHERE cohort_id = $3 AND person_id = $2 AND status = 'pending'",
    )
    .bind(ctx.state.clock.now())
    .bind(person.id)
    .bind(access.cohort.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if done.rows_affected() > 0 {
        ctx.flash(format!(
            "Your request to join {} is withdrawn.",
            access.cohort.name
        ))
        .await?;
    }
    Ok(web::see_other("/cohorts"))
}

async fn leave_form(Inside(ctx, _, access): Inside<Access>) -> AppResult<Response> {
    if access.membership.is_none() {
        return Err(AppError::NotFound);
    }
    let cohort = &access.cohort;
    let back = if cohort.join_policy == JoinPolicy::Open {
        "You can join again at any time."
    } else {
        "To come back, you will need a facilitator's approval."
    };
    Ok(web::confirm::Confirm {
        layout: ctx.layout().await,
        title: format!("Leave: {}", cohort.name),
        heading: format!("Leave {}?", cohort.name),
        explanation: format!(
            "You will no longer see its discussion, resources and sessions, nor get its emails. What you wrote stays in the cohort. {back}"
        ),
        action: format!("{}/leave", cohort.href()),
        button: format!("Leave {}", cohort.name),
        back: cohort.href(),
        back_label: "Stay in the cohort".to_owned(),
        crumb: Some((cohort.href(), cohort.name.clone())),
        detail: None,
        note: None,
    }
    .render())
}

async fn leave(Inside(ctx, person, access): Inside<Access>) -> AppResult<Response> {
    let mut tx = ctx.state.begin_write().await?;
    sqlx::query("DELETE FROM cohort_members WHERE cohort_id = $1 AND person_id = $2")
        .bind(access.cohort.id)
        .bind(person.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    ctx.flash(format!("You left {}.", access.cohort.name))
        .await?;
    Ok(web::see_other("/cohorts"))
}

#[derive(Debug, Default, Deserialize)]
pub struct FollowingForm {
    #[serde(default)]
    pub follow: String,
}

/// Follow a cohort (activity emails) or stop, without leaving it.
async fn following(
    Inside(ctx, person, access): Inside<Access>,
    Form(form): Form<FollowingForm>,
) -> AppResult<Response> {
    if access.membership.is_none() {
        // Staff who are not in it have nothing to follow.
        return Err(AppError::NotFound);
    }
    let follow = form.follow == "1";
    let mut tx = ctx.state.begin_write().await?;
    sqlx::query("UPDATE cohort_members SET following = $1 WHERE cohort_id = $2 AND person_id = $3")
        .bind(i64::from(follow))
        .bind(access.cohort.id)
        .bind(person.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    ctx.flash(if follow {
        format!(
            "You follow {}: you get an email for new threads, replies to your threads and sessions.",
            access.cohort.name
        )
    } else {
        format!(
            "You no longer get emails about {}. You are still a member.",
            access.cohort.name
        )
    })
    .await?;
    Ok(web::see_other(&access.cohort.href()))
}

/// The page that shows a new calendar address once, with the ways to subscribe to it.
#[derive(Template)]
#[template(path = "cohorts/calendar.html")]
pub(crate) struct CalendarPage {
    pub layout: Layout,
    /// What the calendar holds: "Water Affordability", "all your cohorts".
    pub about: String,
    /// Where "Back" goes, and its words.
    pub back: (String, String),
    /// The feed's https address.
    pub url: String,
}

impl CalendarPage {
    /// The same address for calendar programs that open `webcal://` links.
    pub fn webcal(&self) -> String {
        self.url
            .replacen("https://", "webcal://", 1)
            .replacen("http://", "webcal://", 1)
    }
    /// Google Calendar's "add by address" link.
    pub fn google(&self) -> String {
        format!(
            "https://calendar.google.com/calendar/render?cid={}",
            encode(&self.webcal())
        )
    }
    /// Outlook on the web's "subscribe from web" link.
    pub fn outlook(&self) -> String {
        format!(
            "https://outlook.live.com/calendar/0/addfromweb?url={}&name={}",
            encode(&self.url),
            encode(&self.about)
        )
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A new secret address for the person's calendar feed of this cohort, shown on the page
/// that answers the POST and nowhere else (only its digest is stored); the old one stops
/// working at once.
async fn renew_calendar(Inside(ctx, person, access): Inside<Access>) -> AppResult<Response> {
    if access.membership.is_none() {
        // Only the cohort's members have a calendar address.
        return Err(AppError::NotFound);
    }
    let (secret, digest) = super::calendar_secret();
    let mut tx = ctx.state.begin_write().await?;
    sqlx::query(
        "UPDATE cohort_members SET calendar_token = $1 WHERE cohort_id = $2 AND person_id = $3",
    )
    .bind(&digest)
    .bind(access.cohort.id)
    .bind(person.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Your calendar address: {}", access.cohort.name);
    Ok(web::render(&CalendarPage {
        layout,
        url: format!("{}/cohorts/calendar/{secret}.ics", ctx.state.config.base()),
        back: (
            access.cohort.href(),
            format!("Back to {}", access.cohort.name),
        ),
        about: access.cohort.name,
    }))
}

/// A new secret address for the person's one feed of all their cohorts, shown once on the
/// page that answers the POST (only its digest is stored); the old one stops working at once.
async fn renew_all_calendar(Member(ctx, person): Member) -> AppResult<Response> {
    if !policy::can_have_cohorts_calendar(&person) {
        return Err(AppError::NotFound);
    }
    let (secret, digest) = super::calendar_secret();
    let mut tx = ctx.state.begin_write().await?;
    sqlx::query("UPDATE people SET cohorts_calendar_token = $1 WHERE id = $2")
        .bind(&digest)
        .bind(person.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let mut layout = ctx.layout().await;
    layout.meta.title = "Your calendar address for all your cohorts".to_owned();
    Ok(web::render(&CalendarPage {
        layout,
        url: format!(
            "{}/cohorts/calendar/all/{secret}.ics",
            ctx.state.config.base()
        ),
        back: ("/cohorts".to_owned(), "Back to your cohorts".to_owned()),
        about: "all your cohorts".to_owned(),
    }))
}
