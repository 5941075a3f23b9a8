//! What staff do to a cohort's members: remove one (after a confirmation), change a role,
//! override a listing choice, and export everyone as CSV.

use axum::{extract::Path, response::Response};
use serde::Deserialize;

use super::members::{Listed, all_members};
use crate::{
    audit,
    cohorts::{Access, MemberRole},
    error::{AppError, AppResult},
    policy,
    text::csv::Csv,
    web::{self, door::Inside, form::Form},
};

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
pub(super) async fn remove_form(
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

pub(super) async fn remove(
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
pub(super) async fn set_role(
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
pub(super) async fn set_listing(
    Inside(ctx, person, access): Inside<Access>,
    Path((slug, person_id)): Path<(String, i64)>,
    Form(form): Form<ChoiceForm>,
) -> AppResult<Response> {
    web::permit(policy::can_manage_cohorts(&person))?;
    let member = member_of(&ctx.state.pool, access.cohort.id, person_id).await?;
    let (value, said): (Option<crate::db::Flag>, &str) = match form.value.as_str() {
        "listed" => (Some(crate::db::Flag(true)), "listed by staff"),
        "hidden" => (Some(crate::db::Flag(false)), "not listed, by staff"),
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
pub(super) async fn members_csv(
    Inside(ctx, person, access): Inside<Access>,
) -> AppResult<Response> {
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
    Ok(csv.download(&format!("{}-members.csv", access.cohort.slug)))
}
