//! The SQLite and PostgreSQL migrations describe the same logical schema.

use std::collections::BTreeMap;

use sqlx::Row;

use crate::support::{create_pg_database, postgres_url};

/// table -> column -> (type family, not null)
type Schema = BTreeMap<String, BTreeMap<String, (String, bool)>>;

fn family(t: &str) -> String {
    let t = t.to_lowercase();
    if t.contains("int") {
        "integer"
    } else if t.contains("char") || t.contains("text") {
        "text"
    } else if t.contains("real") || t.contains("double") || t.contains("float") {
        "real"
    } else if t.contains("blob") || t.contains("bytea") {
        "bytes"
    } else {
        return format!("other:{t}");
    }
    .to_owned()
}

async fn sqlite_schema(url: &str) -> Schema {
    let (pool, backend) = portal::db::open(url).await.unwrap();
    portal::db::migrate(&pool, backend).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for table in tables {
        let rows = sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
            .bind(&table)
            .fetch_all(&pool)
            .await
            .unwrap();
        let columns = rows
            .iter()
            .map(|r| {
                let not_null = r.get::<i64, _>(2) == 1 || r.get::<i64, _>(3) > 0;
                (
                    r.get::<String, _>(0),
                    (family(&r.get::<String, _>(1)), not_null),
                )
            })
            .collect();
        schema.insert(table, columns);
    }
    schema
}

async fn postgres_schema(url: &str) -> Schema {
    let (pool, backend) = portal::db::open(url).await.unwrap();
    portal::db::migrate(&pool, backend).await.unwrap();
    let rows = sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for r in rows {
        schema.entry(r.get::<String, _>(0)).or_default().insert(
            r.get::<String, _>(1),
            (
                family(&r.get::<String, _>(2)),
                r.get::<String, _>(3) == "NO",
            ),
        );
    }
    schema
}

#[tokio::test]
#[ignore = "needs TEST_POSTGRES_URL; .ci/run runs it"]
async fn sqlite_and_postgres_migrations_give_the_same_tables_and_columns() {
    let base =
        postgres_url().expect("TEST_POSTGRES_URL must name a PostgreSQL server for this test");
    let dir = std::env::temp_dir().join(format!("portal-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sqlite = sqlite_schema(&format!("sqlite://{}?mode=rwc", dir.join("s.db").display())).await;
    let postgres = postgres_schema(&create_pg_database(&base).await).await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        sqlite.contains_key("people") && sqlite.contains_key("sessions"),
        "{sqlite:?}"
    );
    // Full-text search is the one structure that differs by design (FTS5 and its shadow
    // tables, or a tsvector table); both backends have a table of that name.
    let common = |s: &Schema| {
        s.keys()
            .filter(|t| !t.starts_with("post_search_"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        common(&sqlite),
        common(&postgres),
        "the two backends have different tables"
    );
    for (table, columns) in &sqlite {
        if table.starts_with("post_search") {
            continue;
        }
        assert_eq!(
            columns, &postgres[table],
            "table {table} differs between SQLite (left) and PostgreSQL (right)"
        );
    }
}
