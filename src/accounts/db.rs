//! Queries on people.

use sqlx::{AnyConnection, AnyPool};

use super::Person;

pub use crate::viewer::find_active;

/// The person with this (normalized) email and the password hash, for logging in.
pub async fn find_for_login(
    pool: &AnyPool,
    email_norm: &str,
) -> sqlx::Result<Option<(Person, String)>> {
    let person = sqlx::query_as::<_, Person>(crate::select_people!("WHERE p.email_norm = $1"))
        .bind(email_norm)
        .fetch_optional(pool)
        .await?;
    let Some(person) = person else {
        return Ok(None);
    };
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM people WHERE id = $1")
        .bind(person.id)
        .fetch_one(pool)
        .await?;
    Ok(Some((person, hash)))
}

/// The person with this (normalized) email, active or not, read on the caller's connection
/// (inside its transaction).
pub async fn find_by_email(
    conn: &mut AnyConnection,
    email_norm: &str,
) -> sqlx::Result<Option<Person>> {
    sqlx::query_as::<_, Person>(crate::select_people!("WHERE p.email_norm = $1"))
        .bind(email_norm)
        .fetch_optional(conn)
        .await
}

/// The staff member people are told to write to: the longest-serving active one.
pub async fn staff_contact(conn: &mut AnyConnection) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query_as(
        "SELECT name, email FROM people WHERE role = 'staff' AND active = 1 ORDER BY id LIMIT 1",
    )
    .fetch_optional(conn)
    .await
}

pub async fn staff_exists(conn: &mut AnyConnection) -> sqlx::Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE role = 'staff' AND active = 1")
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

pub async fn list_staff(pool: &AnyPool) -> sqlx::Result<Vec<Person>> {
    sqlx::query_as::<_, Person>(crate::select_people!(
        "WHERE p.role = 'staff' ORDER BY p.name, p.id"
    ))
    .fetch_all(pool)
    .await
}

pub struct NewPerson<'a> {
    pub city_id: Option<i64>,
    pub email: &'a str,
    pub email_norm: &'a str,
    pub name: &'a str,
    pub title: &'a str,
    pub role: crate::policy::Role,
    pub password_hash: &'a str,
    pub now: i64,
}

/// Inserts a person; a duplicate email comes back as a unique violation.
pub async fn insert(conn: &mut AnyConnection, p: NewPerson<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO people (email, email_norm, name, title, role, password_hash, active, created_at, city_id) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8) RETURNING id",
    )
    .bind(p.email)
    .bind(p.email_norm)
    .bind(p.name)
    .bind(p.title)
    .bind(p.role)
    .bind(p.password_hash)
    .bind(p.now)
    .bind(p.city_id)
    .fetch_one(conn)
    .await
}

pub async fn find(pool: &AnyPool, id: i64) -> sqlx::Result<Option<Person>> {
    sqlx::query_as::<_, Person>(crate::select_people!("WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The active person with this (normalized) email, for a password reset.
pub async fn find_active_by_email(
    pool: &AnyPool,
    email_norm: &str,
) -> sqlx::Result<Option<Person>> {
    sqlx::query_as::<_, Person>(crate::select_people!(
        "WHERE p.email_norm = $1 AND p.active = 1"
    ))
    .bind(email_norm)
    .fetch_optional(pool)
    .await
}

pub async fn password_hash(pool: &AnyPool, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT password_hash FROM people WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// Sets an active person's password hash; false when there is no such active person.
pub async fn set_password_hash(
    conn: &mut AnyConnection,
    id: i64,
    hash: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query("UPDATE people SET password_hash = $1 WHERE id = $2 AND active = 1")
        .bind(hash)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn update_profile(pool: &AnyPool, id: i64, name: &str, title: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE people SET name = $1, title = $2 WHERE id = $3")
        .bind(name)
        .bind(title)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Whether a person other than `except_id` has this (normalized) email, active or not.
pub async fn email_taken(pool: &AnyPool, email_norm: &str, except_id: i64) -> sqlx::Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE email_norm = $1 AND id <> $2")
            .bind(email_norm)
            .bind(except_id)
            .fetch_one(pool)
            .await?;
    Ok(n > 0)
}

/// Sets an active person's email; a duplicate comes back as a unique violation, and false
/// when there is no such active person.
pub async fn set_email(
    conn: &mut AnyConnection,
    id: i64,
    email: &str,
    email_norm: &str,
) -> sqlx::Result<bool> {
    let done =
        sqlx::query("UPDATE people SET email = $1, email_norm = $2 WHERE id = $3 AND active = 1")
            .bind(email)
            .bind(email_norm)
            .bind(id)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}
