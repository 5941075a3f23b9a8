//! The invitations page: the invite form, the open invitations the person may manage and the
//! recent ones, with those about to expire counted for the staff desk.

use askama::Template;
use axum::{extract::Query, response::Response};
use serde::Deserialize;

use super::{FIELDS, Invitation, InviteForm, VALID_FOR};
use crate::members::cities::{self, City};
use crate::web::form::Fields;
use crate::{
    accounts::Person,
    error::{AppError, AppResult},
    policy::{self, Role},
    web::{self, Ctx, FormErrors, Layout, SignedIn},
};

#[derive(Template)]
#[template(path = "members/invitations.html")]
pub(super) struct ListPage {
    layout: Layout,
    form: InviteForm,
    errors: FormErrors,
    is_staff: bool,
    /// For staff: every city to choose from. For a mayor: the own city only.
    cities: Vec<City>,
    pending: Vec<Invitation>,
    now: i64,
    /// Why this person cannot send invitations now (a mayor of a lapsed city), if so.
    closed: Option<String>,
    fields: &'static Fields,
    /// When the list shows only the invitations expiring within this many days.
    expiring: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    city: Option<i64>,
    /// Only the waiting invitations whose link stops working within this many days.
    expiring: Option<i64>,
}

/// The longest "expiring within" window a list takes, in days: an invitation's life.
pub(super) const MAX_EXPIRING_DAYS: i64 = VALID_FOR / 86_400;

/// SQL condition: invitations waiting for an answer (`i`), and, when `$1` is 1, only those
/// whose link still works and stops by `$3` (`$2`: now). The list and the desk's count.
macro_rules! waiting {
    () => {
        "i.accepted_at IS NULL AND i.revoked_at IS NULL \
         AND ($1 = 0 OR (i.expires_at > $2 AND i.expires_at <= $3))"
    };
}

/// How many invitations wait for an answer with a link that stops working within `days`
/// of `now`, as `/invitations?expiring=<days>` lists them for staff.
pub async fn expiring_count(pool: &sqlx::AnyPool, now: i64, days: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(concat!(
        "SELECT COUNT(*) FROM invitations i WHERE ",
        waiting!()
    ))
    .bind(1_i64)
    .bind(now)
    .bind(now + days * 86_400)
    .fetch_one(pool)
    .await
}

pub(super) async fn page(
    ctx: &Ctx,
    viewer: &Person,
    form: InviteForm,
    errors: FormErrors,
    expiring: Option<i64>,
) -> AppResult<ListPage> {
    let is_staff = policy::can_use_staff_area(viewer);
    let pool = &ctx.state.pool;
    let now = ctx.state.clock.now();
    let window = (
        i64::from(expiring.is_some()),
        now,
        now + expiring.unwrap_or(0) * 86_400,
    );
    let (cities, pending) = if is_staff {
        let pending = sqlx::query_as::<_, Invitation>(concat!(
            select_invitations!("WHERE "),
            waiting!(),
            " ORDER BY i.id DESC LIMIT 500"
        ))
        .bind(window.0)
        .bind(window.1)
        .bind(window.2)
        .fetch_all(pool)
        .await?;
        (cities::all(pool).await?, pending)
    } else {
        let city_id = viewer.city_id.unwrap_or(-1);
        let pending = sqlx::query_as::<_, Invitation>(concat!(
            select_invitations!("WHERE "),
            waiting!(),
            " AND i.city_id = $4 AND i.role = 'advisor' ORDER BY i.id DESC"
        ))
        .bind(window.0)
        .bind(window.1)
        .bind(window.2)
        .bind(city_id)
        .fetch_all(pool)
        .await?;
        (
            cities::find(pool, city_id).await?.into_iter().collect(),
            pending,
        )
    };
    Ok(ListPage {
        closed: closed_reason(ctx, viewer),
        layout: ctx.layout().await,
        form,
        errors,
        is_staff,
        cities,
        pending,
        now,
        fields: &FIELDS,
        expiring,
    })
}

/// For a mayor whose city's membership has lapsed: why invitations cannot be sent.
pub(super) fn closed_reason(ctx: &Ctx, viewer: &Person) -> Option<String> {
    if policy::can_invite(viewer, Role::Advisor, viewer.city_id) {
        return None;
    }
    Some(format!(
        "The membership of {} has lapsed, so no invitations can be sent until it is renewed. To renew, contact the staff of {}.",
        viewer.city_label(),
        ctx.state.config.org_name
    ))
}

pub(super) async fn list(
    SignedIn(ctx, viewer): SignedIn,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    web::permit(policy::can_invite_anyone(&viewer))?;
    let expiring = match q.expiring {
        None => None,
        Some(days @ 1..=MAX_EXPIRING_DAYS) => Some(days),
        Some(_) => {
            return Err(AppError::BadRequest(format!(
                "Ask for the invitations expiring within 1 to {MAX_EXPIRING_DAYS} days."
            )));
        }
    };
    let form = InviteForm {
        role: if policy::can_use_staff_area(&viewer) {
            String::new()
        } else {
            "advisor".to_owned()
        },
        city_id: q
            .city
            .or(viewer.city_id)
            .map(|c| c.to_string())
            .unwrap_or_default(),
        ..InviteForm::default()
    };
    Ok(web::render(
        &page(&ctx, &viewer, form, FormErrors::default(), expiring).await?,
    ))
}

/// Invitations shown on the member home.
const ON_HOME: i64 = 5;

/// The member home's part for a mayor: the invitations to the city sent and not yet
/// accepted (nor withdrawn), newest first, each a link to the invitations page where they
/// are sent again or withdrawn.
pub fn waiting_on_home<'a>(
    home: &'a crate::areas::Home<'a>,
) -> crate::web::shared::Fut<'a, AppResult<Option<crate::web::shared::Panel>>> {
    Box::pin(async move {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(concat!(
            "SELECT i.email, i.name, i.expires_at FROM invitations i WHERE ",
            waiting!(),
            " AND i.city_id = $4 AND i.role = 'advisor' ORDER BY i.id DESC LIMIT $5"
        ))
        .bind(0_i64)
        .bind(0_i64)
        .bind(0_i64)
        .bind(home.person.city_id.unwrap_or(-1))
        .bind(ON_HOME)
        .fetch_all(&home.state.pool)
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let now = home.state.clock.now();
        Ok(Some(crate::web::shared::Panel {
            title: "Invitations waiting for an answer",
            id: "invitations",
            lines: Vec::new(),
            items: rows
                .into_iter()
                .map(|(email, name, expires_at)| crate::web::shared::PanelItem {
                    href: "/invitations".to_owned(),
                    label: if name.is_empty() {
                        email
                    } else {
                        format!("{name} ({email})")
                    },
                    notes: vec![if expires_at > now {
                        format!("The link works until {}", home.layout.time(&expires_at))
                    } else {
                        format!(
                            "The link stopped working on {}: send it again",
                            home.layout.date(&expires_at)
                        )
                    }],
                })
                .collect(),
            link: None,
        }))
    })
}
