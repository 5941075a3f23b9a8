//! Registering for a meeting: oneself; a mayor also the city's advisors; staff anyone,
//! guests without an account included. The registration's page shows its place (or number
//! on the waitlist), its answers to change until registration closes, and a cancellation on
//! a confirmation page of its own. Places are counted and taken in one write transaction
//! (`places`), and the emails are written in it.

use askama::Template;
use axum::{Router, extract::Path, response::Response, routing::get};
use sqlx::AnyConnection;

use super::{
    Meeting, Question, QuestionKind, RegStatus, RegType, Registration,
    emails::{self, Happened},
};
use crate::{
    error::{AppError, AppResult},
    policy::{self, Role},
    text::EmailAddress,
    viewer::{self, Person},
    web::{
        self, FormErrors, Layout, Member,
        confirm::{Confirm, Detail},
        form::{self, Form},
    },
};

pub fn router() -> Router<crate::state::AppState> {
    Router::new()
        .route("/meetings/{slug}/register", get(new_form).post(create))
        .route("/meetings/{slug}/registration", get(own))
        .route(
            "/meetings/{slug}/registrations/{id}",
            get(show).post(update),
        )
        .route(
            "/meetings/{slug}/registrations/{id}/cancel",
            get(cancel_form).post(cancel),
        )
}

/// The longest answer to a short-text question.
pub const ANSWER_MAX: usize = 500;

/// A question with what is entered for it.
pub struct Asked {
    pub q: Question,
    pub values: Vec<String>,
}

impl Asked {
    pub fn has(&self, choice: &str) -> bool {
        self.values.iter().any(|v| v == choice)
    }
    pub fn text(&self) -> String {
        self.values.first().cloned().unwrap_or_default()
    }
}

/// The values of a submitted form under `name`.
fn values<'a>(pairs: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn value(pairs: &[(String, String)], name: &str) -> String {
    values(pairs, name).next().unwrap_or_default().to_owned()
}

/// Reads the answers to `questions`, adding a message per question that fails; an answer to a
/// question this meeting does not ask is refused as a whole.
pub fn read_answers(
    questions: &[Question],
    pairs: &[(String, String)],
    errors: &mut FormErrors,
) -> Vec<Asked> {
    let known = |name: &str| questions.iter().any(|q| q.field() == name);
    if pairs
        .iter()
        .any(|(k, _)| k.starts_with('q') && k[1..].parse::<i64>().is_ok() && !known(k))
    {
        errors.add(
            "answers",
            "The form holds an answer to a question this meeting does not ask. Reload the page and send it again.",
        );
    }
    questions
        .iter()
        .map(|q| {
            let field = q.field();
            let raw: Vec<String> = values(pairs, &field)
                .map(|v| form::clean(v, false).value.trim().to_owned())
                .filter(|v| !v.is_empty())
                .collect();
            let choices = q.choice_list();
            let problem = match q.kind {
                _ if raw.is_empty() && q.required.get() => {
                    Some("Answer this question: it is required.".to_owned())
                }
                QuestionKind::Text if raw.len() > 1 => Some("Give one answer.".to_owned()),
                QuestionKind::Text
                    if raw.first().is_some_and(|v| v.chars().count() > ANSWER_MAX) =>
                {
                    Some(format!(
                        "Use at most {ANSWER_MAX} characters for this answer."
                    ))
                }
                QuestionKind::Choice
                    if raw.len() > 1 || raw.iter().any(|v| !choices.contains(&v.as_str())) =>
                {
                    Some("Choose one of the choices offered.".to_owned())
                }
                QuestionKind::Choices if raw.iter().any(|v| !choices.contains(&v.as_str())) => {
                    Some("Choose among the choices offered.".to_owned())
                }
                QuestionKind::YesNo
                    if raw.len() > 1 || raw.iter().any(|v| v != "yes" && v != "no") =>
                {
                    Some("Answer yes or no.".to_owned())
                }
                _ => None,
            };
            if let Some(p) = problem {
                errors.add_named(field, format!("{} {p}", q.prompt));
            }
            // Choices once each, in the question's order; other answers as given, bounded.
            let kept: Vec<String> =
                if matches!(q.kind, QuestionKind::Choice | QuestionKind::Choices)
                    && problem_free(&raw, &choices)
                {
                    choices
                        .iter()
                        .filter(|c| raw.iter().any(|v| v == *c))
                        .map(|c| (*c).to_owned())
                        .collect()
                } else {
                    raw.iter()
                        .map(|v| v.chars().take(ANSWER_MAX).collect())
                        .collect()
                };
            Asked {
                q: q.clone(),
                values: kept,
            }
        })
        .collect()
}

/// Whether every value is one of the choices.
fn problem_free(raw: &[String], choices: &[&str]) -> bool {
    raw.iter().all(|v| choices.contains(&v.as_str()))
}

/// Stores the answers of registration `id` (replacing earlier ones).
async fn store_answers<A: std::borrow::Borrow<Asked>>(
    conn: &mut AnyConnection,
    id: i64,
    answers: &[A],
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM meeting_answers WHERE registration_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for a in answers
        .iter()
        .map(|a| a.borrow())
        .filter(|a| !a.values.is_empty())
    {
        sqlx::query(
            "INSERT INTO meeting_answers (registration_id, question_id, value) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(a.q.id)
        .bind(a.values.join("\n"))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The stored answers of a registration, question by question.
pub async fn answers_of(
    conn: &mut AnyConnection,
    questions: &[Question],
    id: i64,
) -> sqlx::Result<Vec<Asked>> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT question_id, value FROM meeting_answers WHERE registration_id = $1")
            .bind(id)
            .fetch_all(conn)
            .await?;
    Ok(questions
        .iter()
        .map(|q| Asked {
            q: q.clone(),
            values: rows
                .iter()
                .filter(|(qid, _)| *qid == q.id)
                .flat_map(|(_, v)| v.lines().map(str::to_owned))
                .collect(),
        })
        .collect())
}

/// Someone the reader may register: oneself, or the city's advisors for a mayor.
pub struct Choice {
    pub id: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "meetings/register.html")]
struct RegisterPage {
    layout: Layout,
    meeting: Meeting,
    types: Vec<RegType>,
    asked: Vec<Asked>,
    people: Vec<Choice>,
    /// Staff may name anyone by email, or a guest.
    staff: bool,
    chosen_for: String,
    chosen_type: String,
    listed: bool,
    email: String,
    guest_name: String,
    organization: String,
    errors: FormErrors,
    answer_max: usize,
}

/// The people this reader may register, themselves first (those already registered left out).
async fn people_for(
    conn: &mut AnyConnection,
    person: &Person,
    meeting_id: i64,
) -> sqlx::Result<Vec<Choice>> {
    let mut people = vec![Choice {
        id: person.id,
        label: format!("Myself, {}", person.name),
    }];
    if person.role == Role::Mayor {
        let advisors: Vec<Person> = sqlx::query_as(crate::select_people!(
            "WHERE p.city_id = $1 AND p.role = 'advisor' AND p.active = 1 ORDER BY p.name, p.id"
        ))
        .bind(person.city_id)
        .fetch_all(&mut *conn)
        .await?;
        people.extend(
            advisors
                .into_iter()
                .filter(|a| policy::can_register_person(person, a))
                .map(|a| Choice {
                    id: a.id,
                    label: format!("{}, advisor", a.name),
                }),
        );
    }
    let registered: Vec<i64> = sqlx::query_scalar(
        "SELECT person_id FROM meeting_registrations WHERE meeting_id = $1 AND status <> 'cancelled' AND person_id IS NOT NULL",
    )
    .bind(meeting_id)
    .fetch_all(conn)
    .await?;
    people.retain(|c| !registered.contains(&c.id));
    Ok(people)
}

/// The meeting, if this person may register for it now; else the reason, as the page says it.
async fn open_for(ctx: &web::Ctx, person: &Person, slug: &str) -> AppResult<Meeting> {
    let meeting = super::visible(&ctx.state, Some(person), slug).await?;
    let now = ctx.state.clock.now();
    if !policy::can_register_now(person, meeting.standing(now)) {
        return Err(AppError::NoAccess(
            meeting
                .closed_because(now)
                .unwrap_or_else(|| "Registration is not open to you.".to_owned()),
        ));
    }
    Ok(meeting)
}

async fn register_page(
    ctx: &web::Ctx,
    person: &Person,
    meeting: Meeting,
    pairs: &[(String, String)],
    asked: Option<Vec<Asked>>,
    errors: FormErrors,
) -> AppResult<Response> {
    let mut conn = ctx.state.pool.acquire().await?;
    let types = super::types(&mut conn, meeting.id).await?;
    let asked = match asked {
        Some(a) => a,
        None => super::questions(&mut conn, meeting.id)
            .await?
            .into_iter()
            .map(|q| Asked {
                q,
                values: Vec::new(),
            })
            .collect(),
    };
    let people = people_for(&mut conn, person, meeting.id).await?;
    drop(conn);
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Register for {}", meeting.title);
    let failed = !errors.is_empty();
    let page = RegisterPage {
        layout,
        types,
        asked,
        people,
        staff: policy::can_register_guests(person),
        chosen_for: value(pairs, "for"),
        chosen_type: value(pairs, "type"),
        // Nobody is on the attendee list until they (or whoever registers them) choose it.
        listed: value(pairs, "listed") == "1",
        email: value(pairs, "email").chars().take(254).collect(),
        guest_name: value(pairs, "guest_name").chars().take(120).collect(),
        organization: value(pairs, "organization").chars().take(120).collect(),
        errors,
        answer_max: ANSWER_MAX,
        meeting,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
}

async fn new_form(Member(ctx, person): Member, Path(slug): Path<String>) -> AppResult<Response> {
    let meeting = open_for(&ctx, &person, &slug).await?;
    register_page(&ctx, &person, meeting, &[], None, FormErrors::default()).await
}

/// Whom a registration is for.
pub enum Registrant {
    Person(Person),
    Guest {
        name: String,
        email: String,
        organization: String,
    },
}

impl Registrant {
    fn role(&self) -> Option<Role> {
        match self {
            Registrant::Person(p) => Some(p.role),
            Registrant::Guest { .. } => None,
        }
    }
}

/// Reads whom the form registers, adding a message when it is nobody this person may
/// register (one message whatever the reason, so that a crafted id learns nothing).
async fn read_registrant(
    ctx: &web::Ctx,
    actor: &Person,
    pairs: &[(String, String)],
    errors: &mut FormErrors,
) -> AppResult<Option<Registrant>> {
    let chosen = value(pairs, "for");
    if chosen == "other" && policy::can_register_guests(actor) {
        let Ok(email) = EmailAddress::parse(&value(pairs, "email")) else {
            errors.add(
                "email",
                "Enter the email address of the person to register, like name@example.org.",
            );
            return Ok(None);
        };
        let found: Option<Person> = sqlx::query_as(crate::select_people!(
            "WHERE p.email_norm = $1 AND p.active = 1"
        ))
        .bind(email.normalized())
        .fetch_optional(&ctx.state.pool)
        .await?;
        if let Some(p) = found {
            if policy::can_register_person(actor, &p) {
                return Ok(Some(Registrant::Person(p)));
            }
            errors.add("email", "This person's city is not a current member: register them as a guest only once it renews.");
            return Ok(None);
        }
        let name = form::clean(&value(pairs, "guest_name"), false)
            .value
            .trim()
            .to_owned();
        let organization = form::clean(&value(pairs, "organization"), false)
            .value
            .trim()
            .to_owned();
        if name.is_empty() || name.chars().count() > 120 {
            errors.add(
                "guest_name",
                "No account has this address: enter the guest's name (at most 120 characters).",
            );
            return Ok(None);
        }
        if organization.chars().count() > 120 {
            errors.add(
                "organization",
                "Use at most 120 characters for the organization.",
            );
            return Ok(None);
        }
        return Ok(Some(Registrant::Guest {
            name,
            email: email.normalized().to_owned(),
            organization,
        }));
    }
    let id = if chosen.is_empty() {
        Some(actor.id)
    } else {
        chosen.parse::<i64>().ok()
    };
    let target = match id {
        Some(id) if id == actor.id => Some(actor.clone()),
        Some(id) => viewer::find_active(&ctx.state.pool, id).await?,
        None => None,
    };
    match target {
        Some(p) if policy::can_register_person(actor, &p) => Ok(Some(Registrant::Person(p))),
        _ => {
            errors.add("for", "Choose whom to register among the people listed.");
            Ok(None)
        }
    }
}

/// Reads the chosen type, adding a message when it is not one of the meeting's or not one
/// the registrant may take.
fn read_type(
    types: &[RegType],
    actor: &Person,
    registrant: Option<&Registrant>,
    chosen: &str,
    errors: &mut FormErrors,
) -> Option<RegType> {
    let t = chosen
        .parse::<i64>()
        .ok()
        .and_then(|id| types.iter().find(|t| t.id == id));
    match (t, registrant) {
        (None, _) => {
            errors.add("type", "Choose a registration type.");
            None
        }
        (Some(t), Some(r)) if !policy::can_take_type(actor, r.role(), t.who) => {
            errors.add("type", t.refusal());
            None
        }
        (Some(t), _) => Some(t.clone()),
    }
}

async fn create(
    Member(ctx, person): Member,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let meeting = open_for(&ctx, &person, &slug).await?;
    let mut errors = FormErrors::default();
    let registrant = read_registrant(&ctx, &person, &pairs, &mut errors).await?;
    let (types, questions) = {
        let mut conn = ctx.state.pool.acquire().await?;
        (
            super::types(&mut conn, meeting.id).await?,
            super::questions(&mut conn, meeting.id).await?,
        )
    };
    let chosen = read_type(
        &types,
        &person,
        registrant.as_ref(),
        &value(&pairs, "type"),
        &mut errors,
    );
    let asked = read_answers(&questions, &pairs, &mut errors);
    let (Some(registrant), Some(t), true) = (registrant, chosen, errors.is_empty()) else {
        return register_page(&ctx, &person, meeting, &pairs, Some(asked), errors).await;
    };
    let listed = value(&pairs, "listed") == "1";
    let new = NewRegistration {
        registrant: &registrant,
        t: &t,
        asked: &asked,
        listed,
        tell: true,
    };
    match store(&ctx.state, &person, &meeting, new).await? {
        Stored::New(r) => {
            let message = match r.status {
                RegStatus::Waiting => {
                    let mut conn = ctx.state.pool.acquire().await?;
                    let n = super::places::waitlist_number(&mut conn, &r)
                        .await?
                        .unwrap_or(1);
                    format!(
                        "{} is full for this type: {} number {n} on the waitlist. A confirmation email is on its way.",
                        meeting.title,
                        if r.person_id == Some(person.id) {
                            "you are".to_owned()
                        } else {
                            format!("{} is", r.name)
                        }
                    )
                }
                _ => format!(
                    "{} registered for {}. A confirmation email with the calendar entry is on its way.",
                    if r.person_id == Some(person.id) {
                        "You are".to_owned()
                    } else {
                        format!("{} is", r.name)
                    },
                    meeting.title
                ),
            };
            ctx.flash(message).await?;
            Ok(web::see_other(&format!(
                "{}/registrations/{}",
                meeting.href(),
                r.id
            )))
        }
        Stored::Already(id) => {
            ctx.flash("This person is already registered: here is the registration.")
                .await?;
            Ok(web::see_other(&format!(
                "{}/registrations/{id}",
                meeting.href()
            )))
        }
    }
}

pub enum Stored {
    New(Box<Registration>),
    /// The registration that already counts for this person.
    Already(i64),
}

/// A registration to store.
pub struct NewRegistration<'a> {
    pub registrant: &'a Registrant,
    pub t: &'a RegType,
    pub asked: &'a [Asked],
    pub listed: bool,
    /// Whether to email the registrant (the demo's registrations are history, not news).
    pub tell: bool,
}

/// Takes a place (or a place on the waitlist) and stores the registration with its answers
/// and its email, in one write transaction under the meeting's lock.
pub async fn store(
    state: &crate::state::AppState,
    actor: &Person,
    meeting: &Meeting,
    new: NewRegistration<'_>,
) -> AppResult<Stored> {
    let NewRegistration {
        registrant,
        t,
        asked,
        listed,
        tell,
    } = new;
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    super::places::lock(&mut tx, state.backend, meeting.id).await?;
    // The meeting and the person as they are now: closed or lapsed meanwhile, refused.
    let meeting = super::by_id(&mut tx, meeting.id)
        .await?
        .ok_or(AppError::NotFound)?;
    let actor_now = viewer::find_active_on(&mut tx, actor.id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !policy::can_register_now(&actor_now, meeting.standing(now)) {
        return Err(AppError::NoAccess(
            meeting
                .closed_because(now)
                .unwrap_or_else(|| "Registration is not open to you.".to_owned()),
        ));
    }
    let who = registrant.fields();
    let (person_id, email) = (who.person_id, &who.email);
    let existing = counting(&mut tx, meeting.id, person_id, email).await?;
    if let Some(id) = existing {
        tx.rollback().await?;
        return Ok(Stored::Already(id));
    }
    // The type and the questions as they are now: staff may have changed or removed them
    // since the form was read.
    let Some(t) = super::types(&mut tx, meeting.id)
        .await?
        .into_iter()
        .find(|x| x.id == t.id)
    else {
        return Err(AppError::Gone(
            "This registration type was removed meanwhile. Reload the form and choose another."
                .to_owned(),
        ));
    };
    let asked: Vec<&Asked> = {
        let now_asked = super::questions(&mut tx, meeting.id).await?;
        asked
            .iter()
            .filter(|a| now_asked.iter().any(|q| q.id == a.q.id))
            .collect()
    };
    let status = super::places::place_for(&mut tx, state, &meeting, &t).await?;
    let row = Row {
        meeting_id: meeting.id,
        type_id: t.id,
        status,
        listed,
        actor_id: actor.id,
        now,
    };
    let id = insert_row(&mut tx, state, &who, &row).await?;
    store_answers(&mut tx, id, &asked).await?;
    let r = super::registration(&mut tx, meeting.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if tell {
        emails::tell(&mut tx, state, &meeting, &r, emails::on_registering(status)).await?;
    }
    tx.commit().await?;
    Ok(Stored::New(Box::new(r)))
}

/// The registration that already counts for this person (or guest's address), if any.
async fn counting(
    conn: &mut AnyConnection,
    meeting_id: i64,
    person_id: Option<i64>,
    email: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "SELECT id FROM meeting_registrations WHERE meeting_id = $1 AND status <> 'cancelled' \
         AND ((person_id IS NOT NULL AND person_id = $2) OR (person_id IS NULL AND $2 IS NULL AND email = $3))",
    )
    .bind(meeting_id)
    .bind(person_id)
    .bind(email)
    .fetch_optional(conn)
    .await
}

/// Who a registration is for, as stored.
struct Who {
    person_id: Option<i64>,
    name: String,
    email: String,
    organization: String,
    city_id: Option<i64>,
}

impl Registrant {
    fn fields(&self) -> Who {
        match self {
            Registrant::Person(p) => Who {
                person_id: Some(p.id),
                name: p.name.clone(),
                email: p.email.clone(),
                organization: String::new(),
                city_id: p.city_id,
            },
            Registrant::Guest {
                name,
                email,
                organization,
            } => Who {
                person_id: None,
                name: name.clone(),
                email: email.clone(),
                organization: organization.clone(),
                city_id: None,
            },
        }
    }
}

/// The rest of a new registration's row.
struct Row {
    meeting_id: i64,
    type_id: i64,
    status: RegStatus,
    listed: bool,
    actor_id: i64,
    now: i64,
}

/// Inserts the registration with a calendar UID and a check-in code of its own: its id.
async fn insert_row(
    conn: &mut AnyConnection,
    state: &crate::state::AppState,
    who: &Who,
    row: &Row,
) -> sqlx::Result<i64> {
    let host = crate::meetings::calendar::host(state);
    let uid = format!("{}@{host}", crate::accounts::tokens::generate());
    let code = crate::accounts::tokens::generate();
    sqlx::query_scalar(
        "INSERT INTO meeting_registrations (meeting_id, type_id, person_id, name, email, organization, \
         city_id, status, waiting_since, listed, payment, checkin_code, uid, sequence, registered_by, \
         created_at, updated_at, name_folded) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'due', $11, $12, 0, $13, $14, $14, $15) RETURNING id",
    )
    .bind(row.meeting_id)
    .bind(row.type_id)
    .bind(who.person_id)
    .bind(&who.name)
    .bind(&who.email)
    .bind(&who.organization)
    .bind(who.city_id)
    .bind(row.status)
    .bind((row.status == RegStatus::Waiting).then_some(row.now))
    .bind(i64::from(row.listed))
    .bind(&code)
    .bind(&uid)
    .bind(row.actor_id)
    .bind(row.now)
    .bind(crate::text::fold::search_key(&who.name))
    .fetch_one(conn)
    .await
}

/// `/meetings/{slug}/registration`: one's own registration, or the form to register.
async fn own(Member(ctx, person): Member, Path(slug): Path<String>) -> AppResult<Response> {
    let meeting = super::visible(&ctx.state, Some(&person), &slug).await?;
    let mine =
        super::own_registration(&mut *ctx.state.pool.acquire().await?, meeting.id, person.id)
            .await?;
    Ok(match mine {
        Some(r) => web::see_other(&format!("{}/registrations/{}", meeting.href(), r.id)),
        None => web::see_other(&meeting.href()),
    })
}

/// A registration this person may read, with its meeting; the 404 of a missing one else.
pub async fn readable(
    ctx: &web::Ctx,
    person: &Person,
    slug: &str,
    id: i64,
) -> AppResult<(Meeting, Registration, policy::RegistrationStanding)> {
    let meeting = super::visible(&ctx.state, Some(person), slug).await?;
    let mut conn = ctx.state.pool.acquire().await?;
    let r = super::registration(&mut conn, meeting.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let standing =
        super::standing_of(&mut conn, person, &meeting, &r, ctx.state.clock.now()).await?;
    if !policy::can_read_registration(person, standing) {
        return Err(AppError::NotFound);
    }
    Ok((meeting, r, standing))
}

#[derive(Template)]
#[template(path = "meetings/registration.html")]
struct RegistrationPage {
    layout: Layout,
    meeting: Meeting,
    r: Registration,
    type_name: String,
    fee: String,
    waitlist: Option<i64>,
    asked: Vec<Asked>,
    may_change: bool,
    own: bool,
    errors: FormErrors,
    answer_max: usize,
    when: String,
}

async fn registration_page(
    ctx: &web::Ctx,
    person: &Person,
    meeting: Meeting,
    r: Registration,
    may_change: bool,
    asked: Option<Vec<Asked>>,
    errors: FormErrors,
) -> AppResult<Response> {
    let mut conn = ctx.state.pool.acquire().await?;
    let types = super::types(&mut conn, meeting.id).await?;
    let t = types.into_iter().find(|t| t.id == r.type_id);
    let waitlist = super::places::waitlist_number(&mut conn, &r).await?;
    let asked = match asked {
        Some(a) => a,
        None => {
            let questions = super::questions(&mut conn, meeting.id).await?;
            answers_of(&mut conn, &questions, r.id).await?
        }
    };
    drop(conn);
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Registration: {}", meeting.title);
    let failed = !errors.is_empty();
    let zone = meeting.zone();
    let page = RegistrationPage {
        layout,
        type_name: t.as_ref().map(|t| t.name.clone()).unwrap_or_default(),
        fee: t.map(|t| t.fee).unwrap_or_default(),
        waitlist,
        asked,
        may_change: may_change && r.status != RegStatus::Cancelled,
        own: r.person_id == Some(person.id),
        errors,
        answer_max: ANSWER_MAX,
        when: format!(
            "{} ({})",
            crate::time::span(&zone, meeting.starts_at, meeting.ends_at),
            zone.spoken(meeting.starts_at)
        ),
        meeting,
        r,
    };
    Ok(if failed {
        form::again(&page)
    } else {
        web::render(&page)
    })
}

async fn show(
    Member(ctx, person): Member,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let (meeting, r, standing) = readable(&ctx, &person, &slug, id).await?;
    let may_change = policy::can_change_registration(&person, standing);
    registration_page(
        &ctx,
        &person,
        meeting,
        r,
        may_change,
        None,
        FormErrors::default(),
    )
    .await
}

/// Saves changed answers and the choice to appear on the attendee list.
async fn update(
    Member(ctx, person): Member,
    Path((slug, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (meeting, r, standing) = readable(&ctx, &person, &slug, id).await?;
    if r.status == RegStatus::Cancelled {
        return Err(AppError::NoAccess(
            "This registration is cancelled: to come after all, register again.".to_owned(),
        ));
    }
    if !policy::can_change_registration(&person, standing) {
        return Err(AppError::NoAccess("Registration has closed: this registration can no longer be changed here. Write to the staff to change it.".to_owned()));
    }
    let questions = super::questions(&mut *ctx.state.pool.acquire().await?, meeting.id).await?;
    let mut errors = FormErrors::default();
    let asked = read_answers(&questions, &pairs, &mut errors);
    if !errors.is_empty() {
        return registration_page(&ctx, &person, meeting, r, true, Some(asked), errors).await;
    }
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let done = sqlx::query(
        "UPDATE meeting_registrations SET listed = $1, updated_at = $2 WHERE id = $3 AND status <> 'cancelled'",
    )
    .bind(i64::from(value(&pairs, "listed") == "1"))
    .bind(now)
    .bind(r.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        ctx.flash("This registration was cancelled meanwhile; nothing was changed.")
            .await?;
        return Ok(web::see_other(&format!(
            "{}/registrations/{}",
            meeting.href(),
            r.id
        )));
    }
    store_answers(&mut tx, r.id, &asked).await?;
    tx.commit().await?;
    ctx.flash("Your answers are saved.").await?;
    Ok(web::see_other(&format!(
        "{}/registrations/{}",
        meeting.href(),
        r.id
    )))
}

async fn cancel_form(
    Member(ctx, person): Member,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let (meeting, r, standing) = readable(&ctx, &person, &slug, id).await?;
    if !policy::can_change_registration(&person, standing) || r.status == RegStatus::Cancelled {
        return Err(AppError::NoAccess(
            "This registration can no longer be cancelled here. Write to the staff.".to_owned(),
        ));
    }
    let mut layout = ctx.layout().await;
    let whose = if r.person_id == Some(person.id) {
        "your registration".to_owned()
    } else {
        format!("the registration of {}", r.name)
    };
    layout.meta.title = format!("Cancel {whose}");
    let back = format!("{}/registrations/{}", meeting.href(), r.id);
    Ok(Confirm {
        layout,
        title: format!("Cancel: {whose} for {}", meeting.title),
        heading: format!("Cancel {whose} for {}?", meeting.title),
        explanation: "The place goes to the first person waiting, and a cancellation of the calendar entry is sent by email. To come after all, register again: if the meeting is full by then, that is on the waitlist.".to_owned(),
        action: format!("{back}/cancel"),
        button: "Cancel the registration".to_owned(),
        back: back.clone(),
        back_label: "Keep the registration".to_owned(),
        crumb: Some((meeting.href(), meeting.title.clone())),
        detail: Some(Detail { text: meeting.when(), datetime: None }),
        note: None,
    }
    .render())
}

async fn cancel(
    Member(ctx, person): Member,
    Path((slug, id)): Path<(String, i64)>,
) -> AppResult<Response> {
    let (meeting, r, standing) = readable(&ctx, &person, &slug, id).await?;
    if !policy::can_change_registration(&person, standing) {
        return Err(AppError::NoAccess(
            "This registration can no longer be cancelled here. Write to the staff.".to_owned(),
        ));
    }
    let cancelled = withdraw(&ctx.state, &meeting, r.id).await?;
    ctx.flash(if cancelled {
        "The registration is cancelled. A cancellation of the calendar entry is on its way by email."
    } else {
        "This registration was already cancelled."
    })
    .await?;
    Ok(web::see_other(&meeting.href()))
}

/// Cancels registration `id` once (a guarded update), gives its place to the first waiting
/// person who fits, and writes both emails, in one transaction. False when it was cancelled
/// already.
pub async fn withdraw(
    state: &crate::state::AppState,
    meeting: &Meeting,
    id: i64,
) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    super::places::lock(&mut tx, state.backend, meeting.id).await?;
    let done = sqlx::query(
        "UPDATE meeting_registrations SET status = 'cancelled', waiting_since = NULL, \
         sequence = sequence + 1, updated_at = $1 WHERE id = $2 AND meeting_id = $3 AND status <> 'cancelled'",
    )
    .bind(now)
    .bind(id)
    .bind(meeting.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    let meeting = super::by_slug(&mut tx, &meeting.slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let r = super::registration(&mut tx, meeting.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    emails::tell(&mut tx, state, &meeting, &r, Happened::Withdrawn).await?;
    let promoted = super::places::promote(&mut tx, state, &meeting).await?;
    emails::promoted(&mut tx, state, &meeting, &promoted).await?;
    tx.commit().await?;
    Ok(true)
}
