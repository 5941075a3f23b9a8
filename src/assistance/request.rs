//! One request: its page (facts, description, files, the conversation, history, whether it
//! helped), a reply with an attachment, and the staff's moves (owner, status, internal note).
//! The city sees the public replies only: the conversation's query for a city person is
//! [`crate::public_replies!`], and a note records no history, moves no activity time and sends
//! no email, so nothing the city can read or count changes when staff write one.

use askama::Template;
use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Path},
    http::HeaderMap,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use sqlx::AnyConnection;

use super::{BODY_LIMIT, Case, Helped, Request, emails};
use crate::{
    error::{AppError, AppResult},
    files,
    policy::{self, Mover, RequestStatus},
    public_replies, request_select,
    state::AppState,
    viewer::Person,
    web::{
        self, Ctx, FormErrors, Layout,
        door::{self, Inside, Level, Steering, Writing},
        form::{self, Field, Fields, Form},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assistance/{id}", get(show))
        .route(
            "/assistance/{id}/reply",
            post(reply).layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route(
            "/assistance/{id}/note",
            post(note).layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
        .route("/assistance/{id}/assign", post(assign))
        .route("/assistance/{id}/status", post(status))
        .route("/assistance/{id}/reopen", post(reopen))
        .route("/assistance/{id}/feedback", post(feedback))
        .route("/assistance/{id}/files/{file_id}", get(download))
}

/// A reply or, for staff, an internal note.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reply {
    pub id: i64,
    pub author_id: i64,
    pub author_name: String,
    pub author_role: String,
    pub internal: crate::db::Flag,
    pub body: String,
    pub body_html: String,
    pub created_at: i64,
}

impl Reply {
    pub fn from_staff(&self) -> bool {
        self.author_role == "staff"
    }
}

/// A file of the request, its conversation's or a note's.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attachment {
    pub file_id: i64,
    pub reply_id: Option<i64>,
    pub internal: crate::db::Flag,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub added_by_name: String,
}

impl Attachment {
    pub fn details(&self) -> String {
        format!(
            "{} · {}",
            files::kind(&self.content_type, &self.name),
            files::human_size(self.size.max(0) as u64)
        )
    }
}

/// The files of request `$1` a city person may see (`$2 = 0`), or all of them (`$2 = 1`).
const FILES: &str = "SELECT a.file_id, a.reply_id, a.internal, f.name, f.content_type, f.size, \
     p.name AS added_by_name FROM assistance_files a JOIN files f ON f.id = a.file_id \
     JOIN people p ON p.id = a.added_by WHERE a.request_id = $1 AND (a.internal = 0 OR $2 = 1) \
     ORDER BY a.created_at, a.id";

/// An entry of the conversation with its files.
pub struct Entry {
    pub reply: Reply,
    pub files: Vec<Attachment>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub what: String,
    pub at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Feedback {
    pub helped: Helped,
    pub comment: String,
    pub person_name: String,
    pub at: i64,
}

/// The reply and note forms' text.
pub static FIELDS: Fields = Fields(&[Field {
    name: "body",
    label: "your reply",
    max_len: 20_000,
    required: true,
    lines: true,
}]);

pub static NOTE_FIELDS: Fields = Fields(&[Field {
    name: "note",
    label: "the note",
    max_len: 20_000,
    required: true,
    lines: true,
}]);

pub static FEEDBACK_FIELDS: Fields = Fields(&[Field {
    name: "comment",
    label: "your comment",
    max_len: 2_000,
    required: false,
    lines: true,
}]);

/// What a form sent back holds, to show it again.
#[derive(Debug, Default)]
pub struct Kept {
    pub body: String,
    pub note: String,
    pub comment: String,
    pub submission: String,
}

#[derive(Template)]
#[template(path = "assistance/request.html")]
struct Page {
    layout: Layout,
    r: Request,
    staff: bool,
    files: Vec<Attachment>,
    entries: Vec<Entry>,
    history: Vec<Event>,
    feedback: Option<Feedback>,
    ask_feedback: bool,
    can_reopen: bool,
    follows: Option<(i64, String)>,
    /// Staff: who may own it, and the statuses it may go to now.
    owners: Vec<(String, String, bool)>,
    moves: Vec<(String, String, bool)>,
    helped: [Helped; 3],
    kept: Kept,
    errors: FormErrors,
    fields: &'static Fields,
    note_fields: &'static Fields,
    feedback_fields: &'static Fields,
    max_size: String,
    overdue: bool,
}

impl Page {
    pub fn file_hint(&self) -> String {
        format!(
            "A document or picture (PDF, Word, Excel, PowerPoint, CSV, PNG or JPEG) of at most {}.",
            self.max_size
        )
    }
    pub fn reply_hint(&self) -> &'static str {
        if self.staff {
            "The city's people on the request get it by email. Markdown works."
        } else {
            "The staff owner gets it by email. Markdown works."
        }
    }
    pub fn files_of(&self, reply: Option<i64>) -> Vec<&Attachment> {
        self.files.iter().filter(|f| f.reply_id == reply).collect()
    }
}

async fn conversation(
    conn: &mut AnyConnection,
    r: &Request,
    staff: bool,
) -> sqlx::Result<(Vec<Entry>, Vec<Attachment>)> {
    // A city person's conversation is the public replies' query; staff's adds the notes.
    let replies = if staff {
        sqlx::query_as::<_, Reply>(
            "SELECT x.id, x.author_id, p.name AS author_name, p.role AS author_role, x.internal, \
             x.body, x.body_html, x.created_at FROM assistance_replies x \
             JOIN people p ON p.id = x.author_id WHERE x.request_id = $1 ORDER BY x.created_at, x.id",
        )
        .bind(r.id)
        .fetch_all(&mut *conn)
        .await?
    } else {
        sqlx::query_as::<_, Reply>(public_replies!())
            .bind(r.id)
            .fetch_all(&mut *conn)
            .await?
    };
    let all: Vec<Attachment> = sqlx::query_as(FILES)
        .bind(r.id)
        .bind(staff as i64)
        .fetch_all(&mut *conn)
        .await?;
    let own = all
        .iter()
        .filter(|f| f.reply_id.is_none())
        .cloned()
        .collect();
    let entries = replies
        .into_iter()
        .map(|reply| Entry {
            files: all
                .iter()
                .filter(|f| f.reply_id == Some(reply.id))
                .cloned()
                .collect(),
            reply,
        })
        .collect();
    Ok((entries, own))
}

async fn facts(
    conn: &mut AnyConnection,
    r: &Request,
) -> sqlx::Result<(Vec<Event>, Option<Feedback>, Option<(i64, String)>)> {
    let history = sqlx::query_as::<_, Event>(
        "SELECT what, at FROM assistance_history WHERE request_id = $1 ORDER BY at, id",
    )
    .bind(r.id)
    .fetch_all(&mut *conn)
    .await?;
    let feedback = sqlx::query_as::<_, Feedback>(
        "SELECT f.helped, f.comment, p.name AS person_name, f.at FROM assistance_feedback f \
         JOIN people p ON p.id = f.person_id WHERE f.request_id = $1",
    )
    .bind(r.id)
    .fetch_optional(&mut *conn)
    .await?;
    let follows = match r.follows {
        Some(id) => {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT id, title FROM assistance_requests WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
        }
        None => None,
    };
    Ok((history, feedback, follows))
}

/// The staff who may own a request, the current owner chosen.
async fn owners(
    conn: &mut AnyConnection,
    r: &Request,
) -> sqlx::Result<Vec<(String, String, bool)>> {
    let staff: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, name FROM people WHERE role = 'staff' AND active = 1 ORDER BY name, id",
    )
    .fetch_all(conn)
    .await?;
    Ok(staff
        .into_iter()
        .map(|(id, name)| (id.to_string(), name, r.owner_id == Some(id)))
        .collect())
}

/// The statuses staff may move it to from where it is.
fn moves(r: &Request) -> Vec<(String, String, bool)> {
    RequestStatus::ALL
        .iter()
        .filter(|to| {
            **to != RequestStatus::Triaged && policy::may_move(r.status, **to, Mover::Staff)
        })
        .map(|to| (to.as_str().to_owned(), to.label().to_owned(), false))
        .collect()
}

async fn page(
    ctx: &Ctx,
    person: &Person,
    case: Case,
    kept: Kept,
    errors: FormErrors,
) -> AppResult<Response> {
    let r = case.request;
    let staff = policy::can_run_assistance(person);
    let mut conn = ctx.state.pool.acquire().await?;
    let (entries, files) = conversation(&mut conn, &r, staff).await?;
    let (history, feedback, follows) = facts(&mut conn, &r).await?;
    let owners = if staff {
        owners(&mut conn, &r).await?
    } else {
        Vec::new()
    };
    drop(conn);
    let ended = matches!(r.status, RequestStatus::Resolved | RequestStatus::Closed);
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("{} (request {})", r.title, r.id);
    let submission = if kept.submission.is_empty() {
        crate::secret::generate()
    } else {
        kept.submission.chars().take(100).collect()
    };
    let page = Page {
        layout,
        overdue: r.overdue(ctx.state.clock.now()),
        ask_feedback: ended && !staff && feedback.is_none(),
        can_reopen: !staff && r.status == RequestStatus::Resolved,
        moves: if staff { moves(&r) } else { Vec::new() },
        staff,
        files,
        entries,
        history,
        feedback,
        follows,
        owners,
        helped: Helped::ALL,
        kept: Kept {
            body: FIELDS.keep("body", &kept.body),
            note: NOTE_FIELDS.keep("note", &kept.note),
            comment: FEEDBACK_FIELDS.keep("comment", &kept.comment),
            submission,
        },
        errors,
        fields: &FIELDS,
        note_fields: &NOTE_FIELDS,
        feedback_fields: &FEEDBACK_FIELDS,
        max_size: files::human_size(super::MAX_BYTES),
        r,
    };
    Ok(if page.errors.is_empty() {
        web::render(&page)
    } else {
        form::again(&page)
    })
}

async fn show(Inside(ctx, person, case): Inside<Case>) -> AppResult<Response> {
    page(&ctx, &person, case, Kept::default(), FormErrors::default()).await
}

/// The request as it is now, inside a write.
async fn current(conn: &mut AnyConnection, id: i64) -> sqlx::Result<Request> {
    sqlx::query_as::<_, Request>(request_select!("WHERE r.id = $1"))
        .bind(id)
        .fetch_one(conn)
        .await
}

fn back(r: &Request) -> Response {
    web::see_other(&r.href())
}

/// What a closed request says to a reply.
const CLOSED: &str = "This request is closed, so it takes no more replies. If you need more help, ask again: the new request links to this one.";

/// A reply (or, with `internal`, a staff note) as read from its form.
struct Written {
    body: crate::text::markdown::Rendered,
    file: Option<files::StoredFile>,
    submission: String,
}

/// Reads and checks a reply or note form; on a refusal, the page again with its messages.
async fn written(
    ctx: &Ctx,
    person: &Person,
    case: &Case,
    multipart: Multipart,
    internal: bool,
) -> AppResult<Result<Written, Response>> {
    let mut sent = super::read_sent(&ctx.state, multipart).await?;
    let (fields, name) = if internal {
        (&NOTE_FIELDS, "note")
    } else {
        (&FIELDS, "body")
    };
    let mut check = fields.check();
    let body = check.markdown(name, sent.get(name)).await;
    let file = sent.take_file(&mut check, &super::RULES)?;
    if !internal && case.request.status == RequestStatus::Closed {
        check.add("body", CLOSED);
    }
    let submission = sent.submission(&[&person.id.to_string(), &body.source]);
    match check.finish() {
        Ok(()) => Ok(Ok(Written {
            body,
            file,
            submission,
        })),
        Err(errors) => {
            crate::files::discard(&ctx.state, file).await?;
            let kept = Kept {
                body: if internal {
                    String::new()
                } else {
                    sent.get("body").to_owned()
                },
                note: if internal {
                    sent.get("note").to_owned()
                } else {
                    String::new()
                },
                submission: sent.get("submission").to_owned(),
                ..Kept::default()
            };
            Ok(Err(page(ctx, person, case.clone(), kept, errors).await?))
        }
    }
}

/// Stores a reply or note with its file, once per form; `None` when this form was stored
/// already (sent twice) or its file was swept meanwhile.
async fn store(
    tx: &mut AnyConnection,
    r: &Request,
    person: &Person,
    w: &Written,
    (internal, now): (bool, i64),
) -> AppResult<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO assistance_replies (request_id, author_id, internal, body, body_html, created_at, submission) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id, author_id, submission) DO NOTHING RETURNING id",
    )
    .bind(r.id)
    .bind(person.id)
    .bind(internal as i64)
    .bind(&w.body.source)
    .bind(&w.body.html)
    .bind(now)
    .bind(&w.submission)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = id else { return Ok(None) };
    if let Some(file) = &w.file
        && !super::attach(tx, r.id, Some((id, internal)), file, person.id, now).await?
    {
        return Ok(None);
    }
    Ok(Some(id))
}

/// A public reply: from staff it answers the city (the first answer counts for the target),
/// from the city it goes to the owner and brings a request waiting on the city, or resolved,
/// back in progress.
async fn reply(
    Writing(ctx, person, case): Writing<Case>,
    multipart: Multipart,
) -> AppResult<Response> {
    let w = match written(&ctx, &person, &case, multipart, false).await? {
        Ok(w) => w,
        Err(page) => return Ok(page),
    };
    let state = &ctx.state;
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    let (person, case) = door::again(&mut tx, &person, &case, Level::Write).await?;
    let r = case.request;
    if r.status == RequestStatus::Closed {
        tx.rollback().await?;
        crate::files::discard(state, w.file).await?;
        ctx.flash(CLOSED).await?;
        return Ok(back(&r));
    }
    let Some(_) = store(&mut tx, &r, &person, &w, (false, now)).await? else {
        tx.rollback().await?;
        crate::files::discard(state, w.file).await?;
        return Ok(back(&r));
    };
    let staff = policy::can_run_assistance(&person);
    let ball = if staff { "city" } else { "staff" };
    sqlx::query(
        "UPDATE assistance_requests SET last_activity_at = $1, waiting_on = $2, \
         responded_at = CASE WHEN $3 = 1 THEN COALESCE(responded_at, $1) ELSE responded_at END \
         WHERE id = $4",
    )
    .bind(now)
    .bind(ball)
    .bind(staff as i64)
    .bind(r.id)
    .execute(&mut *tx)
    .await?;
    if !staff && matches!(r.status, RequestStatus::Waiting | RequestStatus::Resolved) {
        super::transition(
            &mut tx,
            r.id,
            (r.status, RequestStatus::InProgress),
            Mover::City,
            Some(&person),
            now,
        )
        .await?;
    }
    super::record(
        &mut tx,
        r.id,
        Some(person.id),
        &format!("{} replied.", person.name),
        now,
    )
    .await?;
    super::index(&mut tx, r.id).await?;
    let r = current(&mut tx, r.id).await?;
    let audience = if staff {
        emails::Audience::City
    } else {
        emails::Audience::Owner
    };
    emails::tell(
        &mut tx,
        state,
        &r,
        (emails::Happened::Replied, audience),
        (person.id, &person.name),
        &w.body.text,
    )
    .await?;
    tx.commit().await?;
    ctx.flash("Your reply is sent.").await?;
    Ok(web::see_other(&format!("{}#conversation", r.href())))
}

/// An internal note: staff only (a member's crafted POST is refused by the door), stored
/// beside the replies with `internal = 1`; no history, no activity time, no email, no index.
async fn note(
    Steering(ctx, person, case): Steering<Case>,
    multipart: Multipart,
) -> AppResult<Response> {
    let w = match written(&ctx, &person, &case, multipart, true).await? {
        Ok(w) => w,
        Err(page) => return Ok(page),
    };
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let (person, case) = door::again(&mut tx, &person, &case, Level::Steer).await?;
    if store(&mut tx, &case.request, &person, &w, (true, now))
        .await?
        .is_none()
    {
        tx.rollback().await?;
        crate::files::discard(&ctx.state, w.file).await?;
        return Ok(back(&case.request));
    }
    tx.commit().await?;
    ctx.flash("Your internal note is added. Only staff see it.")
        .await?;
    Ok(web::see_other(&format!(
        "{}#conversation",
        case.request.href()
    )))
}

#[derive(Debug, Default, Deserialize)]
struct AssignForm {
    #[serde(default)]
    owner: String,
    /// The owner the staff member saw (0: none), so that of two assigning at once the second
    /// is told instead of silently overwriting.
    #[serde(default)]
    was: String,
}

/// The active staff member of this id as sent, with their name.
async fn staff_member(state: &AppState, id: &str) -> sqlx::Result<Option<(i64, String)>> {
    let Ok(id) = id.trim().parse::<i64>() else {
        return Ok(None);
    };
    sqlx::query_as("SELECT id, name FROM people WHERE id = $1 AND role = 'staff' AND active = 1")
        .bind(id)
        .fetch_optional(&state.pool)
        .await
}

/// What a staff member whose assignment did not happen is told.
fn not_assigned(r: &Request) -> String {
    if r.status == RequestStatus::Closed {
        "This request is closed: it keeps its owner.".to_owned()
    } else {
        format!(
            "Meanwhile the request was assigned to {}. Nothing was changed: assign it again if it should be someone else.",
            r.owner_label()
        )
    }
}

/// Assigns an owner; a new request is triaged by it. Of two staff assigning at once, one
/// owner results and the other is told who.
async fn assign(
    Steering(ctx, person, case): Steering<Case>,
    Form(form): Form<AssignForm>,
) -> AppResult<Response> {
    let state = &ctx.state;
    let r = &case.request;
    let owner = staff_member(state, &form.owner).await?;
    let Some((owner_id, owner_name)) = owner else {
        ctx.flash("Choose a staff member to own the request.")
            .await?;
        return Ok(back(r));
    };
    let was = form.was.trim().parse::<i64>().unwrap_or(-1);
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    let (person, case) = door::again(&mut tx, &person, &case, Level::Steer).await?;
    let r = case.request;
    let changed = sqlx::query(
        "UPDATE assistance_requests SET owner_id = $1, last_activity_at = $2 \
         WHERE id = $3 AND COALESCE(owner_id, 0) = $4 AND status <> 'closed'",
    )
    .bind(owner_id)
    .bind(now)
    .bind(r.id)
    .bind(was)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !changed {
        tx.rollback().await?;
        let message = not_assigned(&r);
        ctx.flash(message).await?;
        return Ok(back(&r));
    }
    let what = format!("{} assigned the request to {owner_name}.", person.name);
    super::record(&mut tx, r.id, Some(person.id), &what, now).await?;
    let triaged = r.status == RequestStatus::New
        && super::transition(
            &mut tx,
            r.id,
            (RequestStatus::New, RequestStatus::Triaged),
            Mover::Staff,
            Some(&person),
            now,
        )
        .await?;
    let fresh = current(&mut tx, r.id).await?;
    emails::tell(
        &mut tx,
        state,
        &fresh,
        (emails::Happened::Assigned, emails::Audience::Owner),
        (person.id, &person.name),
        "",
    )
    .await?;
    if triaged {
        emails::tell(
            &mut tx,
            state,
            &fresh,
            (emails::Happened::Moved, emails::Audience::City),
            (person.id, &person.name),
            "",
        )
        .await?;
    }
    super::index(&mut tx, r.id).await?;
    tx.commit().await?;
    ctx.flash(format!("The request is assigned to {owner_name}."))
        .await?;
    Ok(back(&fresh))
}

#[derive(Debug, Default, Deserialize)]
struct StatusForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// Why a move was refused, in the page's words.
fn refused(from: RequestStatus, to: Option<RequestStatus>, now: RequestStatus) -> String {
    match to {
        _ if from != now => format!(
            "Meanwhile the request became {}. Nothing was changed: choose again.",
            now.label().to_lowercase()
        ),
        Some(RequestStatus::Triaged) => "A request is triaged by assigning it an owner.".to_owned(),
        Some(to) => format!(
            "A request that is {} cannot become {}.",
            from.label().to_lowercase(),
            to.label().to_lowercase()
        ),
        None => "Choose a status from the list.".to_owned(),
    }
}

/// A change of status by staff, if the rules allow it from where the request is.
async fn status(
    Steering(ctx, person, case): Steering<Case>,
    Form(form): Form<StatusForm>,
) -> AppResult<Response> {
    let state = &ctx.state;
    let from = RequestStatus::parse(form.from.trim()).unwrap_or(case.request.status);
    let to = RequestStatus::parse(form.to.trim());
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    let (person, case) = door::again(&mut tx, &person, &case, Level::Steer).await?;
    let r = case.request;
    let moved = match to {
        Some(to) if to != RequestStatus::Triaged && from == r.status => {
            super::transition(&mut tx, r.id, (from, to), Mover::Staff, Some(&person), now).await?
        }
        _ => false,
    };
    let Some(to) = to.filter(|_| moved) else {
        tx.rollback().await?;
        ctx.flash(refused(from, to, r.status)).await?;
        return Ok(back(&r));
    };
    let fresh = current(&mut tx, r.id).await?;
    let happened = if to == RequestStatus::Resolved {
        emails::Happened::Resolved
    } else {
        emails::Happened::Moved
    };
    emails::tell(
        &mut tx,
        state,
        &fresh,
        (happened, emails::Audience::City),
        (person.id, &person.name),
        "",
    )
    .await?;
    super::index(&mut tx, r.id).await?;
    tx.commit().await?;
    ctx.flash(format!("The request is now {}.", to.label().to_lowercase()))
        .await?;
    Ok(back(&fresh))
}

/// The city reopens a resolved request (a closed one cannot be: they ask again).
async fn reopen(Writing(ctx, person, case): Writing<Case>) -> AppResult<Response> {
    let state = &ctx.state;
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    let (person, case) = door::again(&mut tx, &person, &case, Level::Write).await?;
    let r = case.request;
    let by = if policy::can_run_assistance(&person) {
        Mover::Staff
    } else {
        Mover::City
    };
    if !super::transition(
        &mut tx,
        r.id,
        (RequestStatus::Resolved, RequestStatus::InProgress),
        by,
        Some(&person),
        now,
    )
    .await?
        || r.status != RequestStatus::Resolved
    {
        tx.rollback().await?;
        let message = if r.status == RequestStatus::Closed {
            CLOSED.to_owned()
        } else {
            format!(
                "The request is {}: there is nothing to reopen.",
                r.status.label().to_lowercase()
            )
        };
        ctx.flash(message).await?;
        return Ok(back(&r));
    }
    let fresh = current(&mut tx, r.id).await?;
    emails::tell(
        &mut tx,
        state,
        &fresh,
        (emails::Happened::Moved, emails::Audience::Owner),
        (person.id, &person.name),
        "",
    )
    .await?;
    super::index(&mut tx, r.id).await?;
    tx.commit().await?;
    ctx.flash("The request is open again: the staff are told.")
        .await?;
    Ok(back(&fresh))
}

#[derive(Debug, Default, Deserialize)]
struct FeedbackForm {
    #[serde(default)]
    helped: String,
    #[serde(default)]
    comment: String,
}

/// Whether the answer helped: once per request, by its city's people, once it is resolved.
async fn feedback(
    Writing(ctx, person, case): Writing<Case>,
    Form(form): Form<FeedbackForm>,
) -> AppResult<Response> {
    if policy::can_run_assistance(&person) {
        return Err(AppError::NoAccess(
            "The city's people say whether the answer helped.".to_owned(),
        ));
    }
    let r = &case.request;
    let mut check = FEEDBACK_FIELDS.check();
    let helped = Helped::parse(form.helped.trim());
    if helped.is_none() {
        check.add(
            "helped",
            "Choose whether the answer helped: yes, partly or no.",
        );
    }
    let comment = check.text("comment", &form.comment);
    if !matches!(r.status, RequestStatus::Resolved | RequestStatus::Closed) {
        check.add(
            "helped",
            "You can say whether it helped once the request is resolved.",
        );
    }
    if let Err(errors) = check.finish() {
        let kept = Kept {
            comment: form.comment,
            ..Kept::default()
        };
        return page(&ctx, &person, case, kept, errors).await;
    }
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let (person, case) = door::again(&mut tx, &person, &case, Level::Write).await?;
    let stored = sqlx::query(
        "INSERT INTO assistance_feedback (request_id, person_id, helped, comment, at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(case.request.id)
    .bind(person.id)
    .bind(helped)
    .bind(&comment)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    tx.commit().await?;
    ctx.flash(if stored {
        "Thank you: the staff see your answer."
    } else {
        "Your city already said whether it helped; that answer stays."
    })
    .await?;
    Ok(back(&case.request))
}

/// A file of the request, to those who may read it: a note's file only to staff; everyone
/// else gets the 404 of a missing file.
async fn download(
    Inside(ctx, person, case): Inside<Case>,
    Path((_, file_id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let staff = policy::can_run_assistance(&person);
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT file_id FROM assistance_files WHERE request_id = $1 AND file_id = $2 \
         AND (internal = 0 OR $3 = 1)",
    )
    .bind(case.request.id)
    .bind(file_id)
    .bind(staff as i64)
    .fetch_optional(&ctx.state.pool)
    .await?;
    let file_id = found.ok_or(AppError::NotFound)?;
    let file = files::find(&ctx.state.pool, file_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(files::serve(
        &ctx.state.pool,
        &file,
        &headers,
        files::Audience::Restricted,
        files::Disposition::Attachment,
    ))
}
