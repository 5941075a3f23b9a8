//! Asking: the city's requests (`/assistance`) and a new one (`/assistance/new`), with an
//! attachment. Twenty identical submissions at once make one request (the form's key).

use askama::Template;
use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Query},
    response::Response,
    routing::get,
};
use serde::Deserialize;

use super::{BODY_LIMIT, Request, Sent, Topic, Urgency, emails};
use crate::{
    error::{AppError, AppResult},
    policy::{self, RequestStatus},
    request_select,
    state::AppState,
    web::{
        self, FormErrors, Layout, Member, door,
        form::{self, Field, Fields},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assistance", get(list))
        .route("/assistance.csv", get(export))
        .route("/assistance/follow", axum::routing::post(follow))
        .route(
            "/assistance/new",
            get(new_form)
                .post(create)
                .layer(DefaultBodyLimit::max(BODY_LIMIT)),
        )
}

/// What staff are told at a city's pages: they answer requests, cities open them.
const FOR_CITIES: &str = "Requests for technical assistance are opened by a member city's mayor or advisors. Staff answer them from the assistance queue at /staff/assistance.";

#[derive(Template)]
#[template(path = "assistance/list.html")]
struct ListPage {
    layout: Layout,
    requests: Vec<Request>,
    open: usize,
    /// For a mayor: whether they follow all the city's requests.
    following: Option<bool>,
}

/// The city's requests, those open first, then by last activity.
async fn of_city(state: &AppState, person: &crate::viewer::Person) -> sqlx::Result<Vec<Request>> {
    sqlx::query_as::<_, Request>(request_select!(
        "WHERE r.city_id = $1 ORDER BY CASE WHEN r.status IN ('resolved', 'closed') THEN 1 ELSE 0 END, \
         r.last_activity_at DESC, r.id DESC LIMIT 500"
    ))
    .bind(person.city_id)
    .fetch_all(&state.pool)
    .await
}

async fn list(Member(ctx, person): Member) -> AppResult<Response> {
    if policy::can_run_assistance(&person) {
        return Ok(web::see_other("/staff/assistance"));
    }
    web::permit(policy::can_ask_for_assistance(&person))?;
    let requests = of_city(&ctx.state, &person).await?;
    let open = requests.iter().filter(|r| r.status.is_open()).count();
    let following = if policy::can_follow_city_requests(&person) {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM assistance_followers WHERE person_id = $1")
                .bind(person.id)
                .fetch_one(&ctx.state.pool)
                .await?;
        Some(n > 0)
    } else {
        None
    };
    let mut layout = ctx.layout().await;
    layout.meta.title = "Technical assistance".to_owned();
    Ok(web::render(&ListPage {
        layout,
        requests,
        open,
        following,
    }))
}

/// The city's requests as a spreadsheet, for its people: the facts of each, never a reply.
async fn export(Member(ctx, person): Member) -> AppResult<Response> {
    web::permit(policy::can_ask_for_assistance(&person))?;
    let zone = &ctx.state.config.time_zone;
    let mut csv = crate::text::csv::Csv::new([
        "Id",
        "Title",
        "Topic",
        "Urgency",
        "Status",
        "Staff owner",
        "Opened",
        "Opened by",
        "Last activity",
        "Link",
    ]);
    for r in of_city(&ctx.state, &person).await? {
        csv.row([
            r.id.to_string(),
            r.title.clone(),
            r.topic.clone(),
            r.urgency.short().to_owned(),
            r.status.label().to_owned(),
            r.owner_label(),
            zone.time(r.created_at),
            r.opened_by_name.clone(),
            zone.time(r.last_activity_at),
            format!("{}{}", ctx.state.config.base(), r.href()),
        ]);
    }
    Ok(csv.download("assistance-requests.csv"))
}

#[derive(Deserialize)]
struct FollowForm {
    #[serde(default)]
    follow: String,
}

/// A mayor follows (or stops following) every request of their city by email.
async fn follow(
    Member(ctx, person): Member,
    form::Form(f): form::Form<FollowForm>,
) -> AppResult<Response> {
    web::permit(policy::can_follow_city_requests(&person))?;
    let mut tx = ctx.state.begin_write().await?;
    let on = f.follow == "1";
    if on {
        sqlx::query(
            "INSERT INTO assistance_followers (person_id) VALUES ($1) ON CONFLICT DO NOTHING",
        )
        .bind(person.id)
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query("DELETE FROM assistance_followers WHERE person_id = $1")
            .bind(person.id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    ctx.flash(if on {
        "You will get the emails of every request of your city."
    } else {
        "You will get the emails of the requests you opened or replied to."
    })
    .await?;
    Ok(web::see_other("/assistance"))
}

pub static FIELDS: Fields = Fields(&[
    Field {
        name: "title",
        label: "a title",
        max_len: 200,
        required: true,
        lines: false,
    },
    Field {
        name: "description",
        label: "what you need help with",
        max_len: 20_000,
        required: true,
        lines: true,
    },
]);

/// The form's values, as entered.
#[derive(Debug, Default, Deserialize)]
pub struct AskForm {
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub urgency: String,
    #[serde(default)]
    pub needed_by: String,
    #[serde(default)]
    pub follows: String,
    #[serde(default)]
    pub submission: String,
}

#[derive(Template)]
#[template(path = "assistance/new.html")]
struct NewPage {
    layout: Layout,
    form: AskForm,
    errors: FormErrors,
    fields: &'static Fields,
    /// The choices (value, words, chosen), an empty first one for the topic.
    topic_options: Vec<(String, String, bool)>,
    urgency_options: Vec<(String, String, bool)>,
    max_size: String,
    /// The closed request this one follows up.
    follows: Option<Request>,
}

impl NewPage {
    pub fn file_hint(&self) -> String {
        format!(
            "A document or picture that helps: a PDF, a Word, Excel or PowerPoint document, a PNG or JPEG picture, or a CSV file, of at most {}. You can add more in the conversation.",
            self.max_size
        )
    }
}

async fn new_page(
    ctx: &web::Ctx,
    person: &crate::viewer::Person,
    form: AskForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let mut conn = ctx.state.pool.acquire().await?;
    let topics: Vec<Topic> = super::topics(&mut conn)
        .await?
        .into_iter()
        .filter(|t| !t.retired.get())
        .collect();
    let mut topic_options = vec![(
        String::new(),
        "Choose a topic".to_owned(),
        form.topic.is_empty(),
    )];
    topic_options.extend(topics.iter().map(|t| {
        (
            t.id.to_string(),
            t.name.clone(),
            t.id.to_string() == form.topic,
        )
    }));
    let urgency_options = Urgency::ALL
        .iter()
        .map(|u| {
            (
                u.as_str().to_owned(),
                u.label().to_owned(),
                u.as_str() == form.urgency,
            )
        })
        .collect();
    let follows = followed(&mut conn, person, &form.follows).await?;
    drop(conn);
    let mut layout = ctx.layout().await;
    layout.meta.title = "Ask for help".to_owned();
    let kept = AskForm {
        title: FIELDS.keep("title", &form.title),
        description: FIELDS.keep("description", &form.description),
        submission: if form.submission.is_empty() {
            crate::secret::generate()
        } else {
            form.submission.chars().take(100).collect()
        },
        ..form
    };
    let page = NewPage {
        layout,
        form: kept,
        fields: &FIELDS,
        topic_options,
        urgency_options,
        max_size: crate::files::human_size(super::MAX_BYTES),
        follows,
        errors,
    };
    Ok(if page.errors.is_empty() {
        web::render(&page)
    } else {
        form::again(&page)
    })
}

/// The closed request of the person's city a new one follows up, by its id as sent.
async fn followed(
    conn: &mut sqlx::AnyConnection,
    person: &crate::viewer::Person,
    id: &str,
) -> sqlx::Result<Option<Request>> {
    let Some(id) = id.trim().parse::<i64>().ok() else {
        return Ok(None);
    };
    sqlx::query_as::<_, Request>(request_select!(
        "WHERE r.id = $1 AND r.city_id = $2 AND r.status = 'closed'"
    ))
    .bind(id)
    .bind(person.city_id)
    .fetch_optional(conn)
    .await
}

#[derive(Deserialize)]
struct NewQuery {
    follows: Option<String>,
}

async fn new_form(Member(ctx, person): Member, Query(q): Query<NewQuery>) -> AppResult<Response> {
    if !policy::can_ask_for_assistance(&person) {
        return Err(AppError::NoAccess(FOR_CITIES.to_owned()));
    }
    let form = AskForm {
        urgency: "normal".to_owned(),
        follows: q.follows.unwrap_or_default(),
        ..AskForm::default()
    };
    new_page(&ctx, &person, form, FormErrors::default()).await
}

/// The form read back from a multipart body.
fn ask_form(sent: &Sent) -> AskForm {
    AskForm {
        topic: sent.get("topic").to_owned(),
        title: sent.get("title").to_owned(),
        description: sent.get("description").to_owned(),
        urgency: sent.get("urgency").to_owned(),
        needed_by: sent.get("needed_by").to_owned(),
        follows: sent.get("follows").to_owned(),
        submission: sent.get("submission").to_owned(),
    }
}

/// The request as checked, ready to store.
struct Checked {
    topic_id: i64,
    title: String,
    description: crate::text::markdown::Rendered,
    urgency: Urgency,
    needed_by: String,
}

async fn check_form(
    state: &AppState,
    form: &AskForm,
    sent: &mut Sent,
) -> AppResult<(
    Result<Checked, FormErrors>,
    Option<crate::files::StoredFile>,
)> {
    let mut check = FIELDS.check();
    let active: Vec<Topic> = super::topics(&mut *state.pool.acquire().await?)
        .await?
        .into_iter()
        .filter(|t| !t.retired.get())
        .collect();
    let topic_id = form
        .topic
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| active.iter().any(|t| t.id == *id));
    if topic_id.is_none() {
        check.add("topic", "Choose the topic closest to your question.");
    }
    let title = check.text("title", &form.title);
    let description = check.markdown("description", &form.description).await;
    let urgency = Urgency::parse(form.urgency.trim());
    if urgency.is_none() {
        check.add("urgency", "Choose how urgent it is.");
    }
    let needed_by = check.date(
        "needed_by",
        &form.needed_by,
        false,
        "the date you need an answer by",
        "Enter the date you need an answer by as a date, such as 2027-03-31, or leave it empty.",
    );
    let file = sent.take_file(&mut check, &super::RULES)?;
    let checked = check.finish().map(|()| Checked {
        topic_id: topic_id.unwrap_or_default(),
        title,
        description,
        urgency: urgency.unwrap_or(Urgency::Normal),
        needed_by: needed_by.unwrap_or_default(),
    });
    Ok((checked, file))
}

/// Stores the request once per form: `None` when this form made one already.
async fn insert(
    tx: &mut sqlx::AnyConnection,
    person: &crate::viewer::Person,
    c: &Checked,
    (follows, due, now): (Option<i64>, i64, i64),
    submission: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "INSERT INTO assistance_requests (city_id, opened_by, topic_id, title, description, \
         description_html, urgency, needed_by, status, follows, created_at, response_due, \
         last_activity_at, submission) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11, $13) \
         ON CONFLICT (opened_by, submission) DO NOTHING RETURNING id",
    )
    .bind(person.city_id)
    .bind(person.id)
    .bind(c.topic_id)
    .bind(&c.title)
    .bind(&c.description.source)
    .bind(&c.description.html)
    .bind(c.urgency)
    .bind(&c.needed_by)
    .bind(RequestStatus::New)
    .bind(follows)
    .bind(now)
    .bind(due)
    .bind(submission)
    .fetch_optional(tx)
    .await
}

async fn create(Member(ctx, person): Member, multipart: Multipart) -> AppResult<Response> {
    if !policy::can_ask_for_assistance(&person) {
        return Err(AppError::NoAccess(FOR_CITIES.to_owned()));
    }
    let mut sent = super::read_sent(&ctx.state, multipart).await?;
    let form = ask_form(&sent);
    let (checked, file) = check_form(&ctx.state, &form, &mut sent).await?;
    let c = match checked {
        Ok(c) => c,
        Err(errors) => {
            crate::files::discard(&ctx.state, file).await?;
            return new_page(&ctx, &person, form, errors).await;
        }
    };
    let submission = sent.submission(&[&person.id.to_string(), &c.title, &c.description.source]);
    let state = &ctx.state;
    let now = state.clock.now();
    let mut tx = state.begin_write().await?;
    let person = door::person_again(&mut tx, &person).await?;
    web::permit(policy::can_ask_for_assistance(&person))?;
    let follows = followed(&mut tx, &person, &form.follows)
        .await?
        .map(|r| r.id);
    let due = state
        .config
        .time_zone
        .add_business_days(now, policy::FIRST_RESPONSE_BUSINESS_DAYS);
    let id = insert(&mut tx, &person, &c, (follows, due, now), &submission).await?;
    let Some(id) = id else {
        // The same form sent again: the request it made is the answer.
        tx.rollback().await?;
        crate::files::discard(state, file).await?;
        let existing: i64 = sqlx::query_scalar(
            "SELECT id FROM assistance_requests WHERE opened_by = $1 AND submission = $2",
        )
        .bind(person.id)
        .bind(&submission)
        .fetch_one(&state.pool)
        .await?;
        return Ok(web::see_other(&format!("/assistance/{existing}")));
    };
    if let Some(file) = &file
        && !super::attach(&mut tx, id, None, file, person.id, now).await?
    {
        tx.rollback().await?;
        let mut errors = FormErrors::default();
        errors.add("file", "The upload was interrupted. Try again.");
        return new_page(&ctx, &person, form, errors).await;
    }
    super::record(
        &mut tx,
        id,
        Some(person.id),
        &format!("{} opened the request.", person.name),
        now,
    )
    .await?;
    super::index(&mut tx, id).await?;
    let request = sqlx::query_as::<_, Request>(request_select!("WHERE r.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    emails::tell(
        &mut tx,
        state,
        &request,
        (emails::Happened::Opened, emails::Audience::Triagers),
        (person.id, &person.name),
        &c.description.text,
    )
    .await?;
    tx.commit().await?;
    ctx.flash("Your request is sent. The staff answer within two business days; you will get an email when they do.").await?;
    Ok(web::see_other(&format!("/assistance/{id}")))
}
