//! The door of every member area's things: a handler names what it works on by an extractor
//! ([`Outside`], [`Inside`], [`Writing`], [`Leading`], [`Steering`]), which finds the thing by
//! its path key and asks the area's policy whether this person may pass. A handler that does
//! not name a door has no thing to work on: an area's private data is read through the value
//! the door gives. Anyone the policy keeps out gets the 404 of a thing that does not exist;
//! someone inside who may not do this (write in an archived cohort, lead without leading) is
//! told why (403).
//!
//! A secret address (a calendar feed) is a [`TokenDoor`]: the secret in the path is looked
//! up by its digest (only digests are stored) and the policy is asked as for a person.

use std::future::Future;

use axum::{
    extract::{FromRequestParts, RawPathParams},
    http::request::Parts,
};
use sqlx::AnyConnection;

use super::{Ctx, SignedIn};
use crate::{
    error::{AppError, AppResult},
    state::AppState,
    viewer::{self, Person},
};

pub use crate::policy::{Level, Refusal};

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Hidden => AppError::NotFound,
            Refusal::Closed(why) => AppError::NoAccess(why),
        }
    }
}

/// What an area puts behind its door: found by the path parameter [`Room::KEY`], with the
/// person's standing in it, and judged by the area's rules in `policy`.
pub trait Room: Sized + Send + Sync + 'static {
    /// The name of the path parameter that names it (`"slug"`).
    const KEY: &'static str;

    /// The thing as this person stands in it, or `None` when there is no such thing. Works
    /// on any connection, a write transaction's included, so that a change can ask again.
    fn find(
        conn: &mut AnyConnection,
        person: &Person,
        key: &str,
    ) -> impl Future<Output = sqlx::Result<Option<Self>>> + Send;

    /// What `policy` says of this person at this level.
    fn judge(&self, person: &Person, level: Level) -> Result<(), Refusal>;

    /// Its path key, to find it again.
    fn key(&self) -> &str;
}

/// Finds the thing and lets the person in at this level, or refuses: the one check every
/// door makes, usable on a transaction's connection.
pub async fn open<T: Room>(
    conn: &mut AnyConnection,
    person: &Person,
    key: &str,
    level: Level,
) -> AppResult<T> {
    let room = T::find(conn, person, key)
        .await?
        .ok_or(AppError::NotFound)?;
    room.judge(person, level)?;
    Ok(room)
}

/// Asks the door again inside the transaction that stores a change: the person as the
/// database has them now (removed, deactivated or lapsed meanwhile: refused) and the thing
/// as it is now. A long upload or a slow form does not outlive its access.
pub async fn again<T: Room>(
    conn: &mut AnyConnection,
    person: &Person,
    room: &T,
    level: Level,
) -> AppResult<(Person, T)> {
    let now = person_again(conn, person).await?;
    let room = open::<T>(conn, &now, room.key(), level).await?;
    Ok((now, room))
}

/// The person as the database has them now, inside the transaction that stores their change:
/// deactivated meanwhile is the 404 every door gives; their city's status as it is now. For a
/// change that has no thing behind a door yet (a new request), before asking `policy`.
pub async fn person_again(conn: &mut AnyConnection, person: &Person) -> AppResult<Person> {
    sqlx::query_as::<_, Person>(crate::select_people!("WHERE p.id = $1 AND p.active = 1"))
        .bind(person.id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AppError::NotFound)
}

/// The value of the path parameter `name`, already percent-decoded; a key holding a NUL or
/// longer than any key is no key (404), before it reaches the database.
fn path_key(params: &RawPathParams, name: &str) -> AppResult<String> {
    params
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 200 && !v.contains('\0'))
        .ok_or(AppError::NotFound)
}

async fn enter_at<T: Room>(
    parts: &mut Parts,
    state: &AppState,
    level: Level,
) -> AppResult<(Ctx, Person, T)> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| AppError::NotFound)?;
    let key = path_key(&params, T::KEY)?;
    let SignedIn(ctx, person) = SignedIn::from_request_parts(parts, state).await?;
    let mut conn = state.pool.acquire().await?;
    let room = open::<T>(&mut conn, &person, &key, level).await?;
    Ok((ctx, person, room))
}

macro_rules! door {
    ($(#[$doc:meta])* $name:ident, $level:expr) => {
        $(#[$doc])*
        pub struct $name<T>(pub Ctx, pub Person, pub T);

        impl<T: Room> FromRequestParts<AppState> for $name<T> {
            type Rejection = AppError;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, Self::Rejection> {
                let (ctx, person, room) = enter_at::<T>(parts, state, $level).await?;
                Ok($name(ctx, person, room))
            }
        }
    };
}

door!(
    /// The thing seen from outside: that it exists, to join it or ask.
    Outside,
    Level::See
);
door!(
    /// Inside the thing, to read it.
    Inside,
    Level::Enter
);
door!(
    /// Inside the thing, to change something in it.
    Writing,
    Level::Write
);
door!(
    /// Leading the thing (its facilitators or organizers, and staff), reading.
    Leading,
    Level::Lead
);
door!(
    /// Leading the thing and changing it.
    Steering,
    Level::Steer
);

/// What a secret address opens: found by the digest of the secret, for the person it was
/// made for, and judged as that person would be at [`Level::Enter`].
pub trait TokenDoor: Sized + Send + Sync + 'static {
    /// The path parameter holding the secret.
    const KEY: &'static str;
    /// What follows the secret in the path (`".ics"`), or empty.
    const SUFFIX: &'static str;

    /// The thing and the id of the person whose secret this digest is.
    fn find_by_digest(
        conn: &mut AnyConnection,
        digest: &str,
    ) -> impl Future<Output = sqlx::Result<Option<(Self, i64)>>> + Send;

    /// Whether that person may read it now.
    fn admits(&self, person: &Person) -> bool;
}

/// A thing opened by a secret address, without a log-in: the same 404 for an unknown, renewed
/// or malformed secret as for a person who may no longer enter.
pub struct ByToken<T>(pub AppState, pub Person, pub T);

impl<T: TokenDoor> FromRequestParts<AppState> for ByToken<T> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        let raw = path_key(&params, T::KEY)?;
        let secret = raw
            .strip_suffix(T::SUFFIX)
            .filter(|t| {
                !t.is_empty() && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_alphanumeric())
            })
            .ok_or(AppError::NotFound)?;
        let mut conn = state.pool.acquire().await?;
        let (room, person_id) = T::find_by_digest(&mut conn, &crate::secret::digest(secret))
            .await?
            .ok_or(AppError::NotFound)?;
        drop(conn);
        let person = viewer::find_active(&state.pool, person_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !room.admits(&person) {
            return Err(AppError::NotFound);
        }
        Ok(ByToken(state.clone(), person, room))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_from_outside_is_a_404_and_from_inside_says_why() {
        assert!(matches!(
            AppError::from(Refusal::Hidden),
            AppError::NotFound
        ));
        match AppError::from(Refusal::Closed("Archived.".to_owned())) {
            AppError::NoAccess(m) => assert_eq!(m, "Archived."),
            other => panic!("{other:?}"),
        }
    }
}
