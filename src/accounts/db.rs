//! Queries on people.

use sqlx::{AnyConnection, AnyPool};

use super::Person;

pub async fn find_active(pool: &AnyPool, id: i64) -> sqlx::Result<Option<Person>> {
    sqlx::query_as::<_, Person>(
        crate::select_people!("WHERE p.id = $1 AND p.active = 1"),
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The person with this (normalized) email and the password hash, for logging in.
pub async fn find_for_login(
    pool: &AnyPool,
    email_norm: &str,
) -> sqlx::Result<Option<(Person, String)>> {
    let person = sqlx::query_as::<_, Person>(
        crate::select_people!("WHERE p.email_norm = $1"),
    )
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

pub async fn staff_exists(conn: &mut AnyConnection) -> sqlx::Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE role = 'staff' AND active = 1")
            .fetch_one(conn)
            .await?;
    Ok(n > 0)
}

pub async fn list_staff(pool: &AnyPool) -> sqlx::Result<Vec<Person>> {
    sqlx::query_as::<_, Person>(
        crate::select_people!("WHERE p.role = 'staff' ORDER BY p.name, p.id"),
    )
    .fetch_all(pool)
    .await
}

pub struct NewPerson<'a> {
    pub city_id: Option<i64>,
    pub email: &'a str,
    pub email_norm: &'a str,
    pub name: &'a str,
    pub title: &'a str,
    pub role: &'a str,
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
    sqlx::query_as::<_, Person>(crate::select_people!("WHERE p.id = $1")).bind(id).fetch_optional(pool).await
}
