//! A cohort's members page: the people listed to each reader (everyone, for staff), and the
//! form by which staff add a person and a facilitator invites one.

use askama::Template;
use axum::{extract::Query, response::Response};
use serde::Deserialize;

use super::{SpaceNav, nav};
use crate::{
    audit,
    cohorts::{self, Access, Cohort, MemberRole, emails},
    error::AppResult,
    notify, policy,
    text::EmailAddress,
    viewer::Person,
    web::{
        self, FormErrors, Layout,
        door::{Inside, Steering},
        form::{self, Field, Fields, Form},
        paging,
    },
};

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
    pub listed: crate::db::Flag,
    /// Whether the person chose whether to be listed; no: never chose ("not yet listed").
    pub listing_chosen: crate::db::Flag,
    /// Staff's choice for this cohort, over the person's own.
    pub listed_override: Option<crate::db::Flag>,
    pub joined_at: i64,
    /// The city's membership (staff, who have none: active).
    pub city_status: crate::policy::CityStatus,
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
        self.listed_override.unwrap_or(self.listed).get()
    }
    /// Whether the person may use the cohort now (their city's membership has not lapsed).
    pub fn in_good_standing(&self) -> bool {
        self.city_status == crate::policy::CityStatus::Active
    }
    pub fn listing_label(&self) -> &'static str {
        match self.listed_override.map(crate::db::Flag::get) {
            Some(true) => "Listed (staff override)",
            Some(false) => "Not listed (staff override)",
            None if self.listed.get() => "Listed (own choice)",
            None if self.listing_chosen.get() => "Not listed (own choice)",
            None => "Not yet listed (has not chosen)",
        }
    }
}

/// Members on a page of the list.
const PAGE: i64 = 50;

/// The columns and joins of [`Listed`], then the condition and order given.
macro_rules! listed_members {
    ($rest:expr) => {
        concat!(
            "SELECT p.id, p.name, p.title, p.email, m.role, c.name AS city_name, c.state AS city_state, \
             p.listed, CASE WHEN p.listing_chosen_at IS NULL THEN 0 ELSE 1 END AS listing_chosen, \
             m.listed_override, m.joined_at, COALESCE(c.status, 'active') AS city_status \
             FROM cohort_members m JOIN people p ON p.id = m.person_id LEFT JOIN cities c ON c.id = p.city_id \
             WHERE m.cohort_id = $1 AND p.active = 1 ",
            $rest
        )
    };
}

/// A page of the members the reader sees listed (facilitators first, then by name), with
/// how many are listed and how many the cohort counts for the reader.
async fn listed_page(
    pool: &sqlx::AnyPool,
    cohort_id: i64,
    reader: &Person,
    at: paging::Numbered,
) -> sqlx::Result<(Vec<Listed>, i64, i64)> {
    let all = i64::from(policy::can_manage_cohorts(reader));
    let (listed, counted): (i64, i64) = sqlx::query_as(concat!(
        "SELECT COALESCE(SUM(CASE WHEN ",
        crate::cohort_member_listed!("$2", "m", "p", "c"),
        " THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN ",
        crate::cohort_member_counted!("$2", "c"),
        " THEN 1 ELSE 0 END), 0) \
         FROM cohort_members m JOIN people p ON p.id = m.person_id LEFT JOIN cities c ON c.id = p.city_id \
         WHERE m.cohort_id = $1 AND p.active = 1"
    ))
    .bind(cohort_id)
    .bind(all)
    .fetch_one(pool)
    .await?;
    let people = sqlx::query_as::<_, Listed>(listed_members!(concat!(
        "AND ",
        crate::cohort_member_listed!("$2", "m", "p", "c"),
        " ORDER BY CASE m.role WHEN 'facilitator' THEN 0 ELSE 1 END, p.name, p.id LIMIT $3 OFFSET $4"
    )))
    .bind(cohort_id)
    .bind(all)
    .bind(at.size)
    .bind(at.offset())
    .fetch_all(pool)
    .await?;
    Ok((people, listed, counted))
}

pub(super) async fn all_members(pool: &sqlx::AnyPool, cohort_id: i64) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as::<_, Listed>(listed_members!(
        "ORDER BY CASE m.role WHEN 'facilitator' THEN 0 ELSE 1 END, p.name, p.id"
    ))
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
    pages: paging::PageLinks,
    /// People in the cohort not shown (not listed: by their choice, because they have not
    /// chosen yet, or by staff).
    unlisted: i64,
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
    at: Option<paging::Numbered>,
    form: AddForm,
    errors: FormErrors,
) -> AppResult<Response> {
    let nav = nav(&ctx.state, person, access, "members").await?;
    let manage = policy::can_manage_cohorts(person);
    let at = at.unwrap_or(paging::Numbered::first(PAGE));
    let (people, listed, counted) =
        listed_page(&ctx.state.pool, access.cohort.id, person, at).await?;
    let at = at.check(listed)?;
    let pages = at.links(&format!("{}/members", access.cohort.href()), listed);
    let unlisted = counted - listed;
    let mut layout = ctx.layout().await;
    layout.meta.title = format!("Members: {}", access.cohort.name);
    let failed = !errors.is_empty();
    let page = MembersPage {
        layout,
        nav,
        cohort: access.cohort.clone(),
        people,
        pages,
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

#[derive(Debug, Default, Deserialize)]
pub struct MembersQuery {
    page: Option<String>,
}

pub(super) async fn members(
    Inside(ctx, person, access): Inside<Access>,
    Query(q): Query<MembersQuery>,
) -> AppResult<Response> {
    let at = paging::Numbered::from_query(q.page.as_deref(), PAGE)?;
    members_page(
        &ctx,
        &person,
        &access,
        at,
        AddForm::default(),
        FormErrors::default(),
    )
    .await
}

/// Staff add a person by email (and may add a facilitator); a facilitator who is not staff
/// invites, and the person accepts before being in the cohort. A facilitator is told the
/// same thing whoever the address belongs to (or nobody), so the form reveals nothing about
/// accounts outside the cohort.
pub(super) async fn add_member(
    Steering(ctx, person, access): Steering<Access>,
    Form(form): Form<AddForm>,
) -> AppResult<Response> {
    web::permit(policy::can_bring_into_cohort(&person, access.standing))?;
    let (entered, email) = match read_address(&form.email) {
        Ok(read) => read,
        Err(errors) => {
            return members_page(&ctx, &person, &access, None, kept(&form), errors).await;
        }
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
        return members_page(&ctx, &person, &access, None, kept(&form), errors).await;
    };
    let role = if form.role == "facilitator" {
        MemberRole::Facilitator
    } else {
        MemberRole::Member
    };
    add_directly(&ctx, &person, &access, &target, role).await
}

/// The address typed in the add form (as entered, and parsed), or its message: an address
/// that is not one is said so (that is about the typing, not about accounts).
fn read_address(entered: &str) -> Result<(String, EmailAddress), FormErrors> {
    let mut check = ADD_FIELDS.check();
    let entered = check.text("email", entered);
    let email = match EmailAddress::parse(&entered) {
        Ok(email) => Some(email),
        Err(message) => {
            if !check.has("email") {
                check.add("email", message);
            }
            None
        }
    };
    match (check.finish(), email) {
        (Ok(()), Some(email)) => Ok((entered, email)),
        (result, _) => Err(result.err().unwrap_or_default()),
    }
}

/// The add form as it goes back into the page with its message.
fn kept(form: &AddForm) -> AddForm {
    AddForm {
        email: ADD_FIELDS.keep("email", &form.email),
        role: form.role.clone(),
    }
}

/// Staff add a person at once, in a role; logged when it changed something.
async fn add_directly(
    ctx: &web::Ctx,
    person: &Person,
    access: &Access,
    target: &Person,
    role: MemberRole,
) -> AppResult<Response> {
    let now = ctx.state.clock.now();
    let mut tx = ctx.state.begin_write().await?;
    let added = cohorts::add_member(&mut tx, access.cohort.id, target.id, role, now).await?;
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
    let member = cohorts::membership(&mut tx, access.cohort.id, target.id).await?;
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
            org_name: crate::web::identity::org_name_on(&mut tx, &ctx.state).await?,
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
