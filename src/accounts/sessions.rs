//! Sessions stored in the application's own database, so they survive a restart and every
//! instance sees the same ones. (tower-sessions-sqlx-store does not build with tower-sessions
//! 0.15; this store is small and works on both backends.)

use async_trait::async_trait;
use sqlx::AnyPool;
use time::OffsetDateTime;
use tower_sessions::{
    SessionStore,
    session::{Id, Record},
    session_store::{Error, Result},
};

use super::SESSION_PERSON;

#[derive(Debug, Clone)]
pub struct DbStore {
    pool: AnyPool,
}

impl DbStore {
    pub fn new(pool: AnyPool) -> Self {
        DbStore { pool }
    }

    /// Removes sessions whose idle time ran out.
    pub async fn delete_expired(&self) -> sqlx::Result<u64> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn person_of(record: &Record) -> Option<i64> {
    record.data.get(SESSION_PERSON).and_then(|v| v.as_i64())
}

#[async_trait]
impl SessionStore for DbStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        // A new id on the (astronomically unlikely) collision, never an overwrite.
        for _ in 0..4 {
            let done = sqlx::query(
                "INSERT INTO sessions (id, data, expires_at, person_id) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(&data)
            .bind(record.expiry_date.unix_timestamp())
            .bind(person_of(record))
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            if done.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
        Err(Error::Backend(
            "could not find a free session id".to_owned(),
        ))
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        sqlx::query(
            "INSERT INTO sessions (id, data, expires_at, person_id) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, \
             person_id = excluded.person_id",
        )
        .bind(record.id.to_string())
        .bind(&data)
        .bind(record.expiry_date.unix_timestamp())
        .bind(person_of(record))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let row: Option<(String, i64)> = sqlx::query_as(
            "SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2",
        )
        .bind(id.to_string())
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(Record {
            id: *id,
            data: serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires_at)
                .map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

/// Ends every session of a person (deactivation, password reset), except perhaps the current one.
pub async fn end_all_for_person(
    conn: &mut sqlx::AnyConnection,
    person_id: i64,
    except: Option<&Id>,
) -> sqlx::Result<u64> {
    let keep = except.map(|id| id.to_string()).unwrap_or_default();
    let done = sqlx::query("DELETE FROM sessions WHERE person_id = $1 AND id <> $2")
        .bind(person_id)
        .bind(keep)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
