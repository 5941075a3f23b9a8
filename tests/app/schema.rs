//! The SQLite and PostgreSQL migrations describe the same logical schema.

use std::collections::BTreeMap;

use sqlx::Row;

use crate::support::{create_pg_database, postgres_url};

/// table -> column -> (type family, not null)
type Schema = BTreeMap<String, BTreeMap<String, (String, bool)>>;

/// Every index but primary keys, as "table(col, col) unique partial": names differ between
/// the engines for constraint indexes, so they are compared by what they index. An
/// expression (`lower(name)`) shows as `<expr>`.
type Indexes = Vec<String>;

fn describe(table: &str, columns: &str, unique: bool, partial: bool) -> String {
    format!(
        "{table}({columns}){}{}",
        if unique { " unique" } else { "" },
        if partial { " partial" } else { "" }
    )
}

async fn sqlite_indexes(url: &str) -> Indexes {
    let (pool, _) = portal::db::open(url).await.unwrap();
    let rows = sqlx::query(
        "SELECT m.name, il.name, il.\"unique\", il.partial FROM sqlite_master m \
         JOIN pragma_index_list(m.name) il WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
         AND m.name NOT LIKE 'post_search%' AND m.name NOT LIKE 'search_fts%' \
         AND m.name <> '_sqlx_migrations' AND il.origin <> 'pk'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for r in rows {
        let (table, index): (String, String) = (r.get(0), r.get(1));
        let columns: Vec<Option<String>> =
            sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&index)
                .fetch_all(&pool)
                .await
                .unwrap();
        let columns = columns
            .into_iter()
            .map(|c| c.unwrap_or_else(|| "<expr>".to_owned()))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(describe(
            &table,
            &columns,
            r.get::<i64, _>(2) == 1,
            r.get::<i64, _>(3) == 1,
        ));
    }
    out.sort();
    out
}

async fn postgres_indexes(url: &str) -> Indexes {
    let (pool, _) = portal::db::open(url).await.unwrap();
    let rows = sqlx::query(
        "SELECT t.relname::text, (CASE WHEN ix.indisunique THEN 1 ELSE 0 END)::int8, (CASE WHEN ix.indpred IS NULL THEN 0 ELSE 1 END)::int8, \
         array_to_string(ARRAY(SELECT COALESCE(a.attname::text, '<expr>') \
           FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
           LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum AND k.attnum <> 0 \
           ORDER BY k.ord), ', ') \
         FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND NOT ix.indisprimary AND t.relname::text NOT LIKE 'post_search%' \
         AND t.relname::text <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut out: Vec<String> = rows
        .iter()
        .map(|r| {
            describe(
                &r.get::<String, _>(0),
                &r.get::<String, _>(3),
                r.get::<i64, _>(1) == 1,
                r.get::<i64, _>(2) == 1,
            )
        })
        .collect();
    out.sort();
    out
}

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
    let sqlite_url = format!("sqlite://{}?mode=rwc", dir.join("s.db").display());
    let postgres_url = create_pg_database(&base).await;
    let sqlite = sqlite_schema(&sqlite_url).await;
    let mut postgres = postgres_schema(&postgres_url).await;
    // The one index's full-text structure differs by design too: FTS5 tables beside
    // search_docs on SQLite, a tsvector column of it with its GIN index on PostgreSQL.
    postgres
        .get_mut("search_docs")
        .map(|columns| columns.remove("vector"));
    // Unique indexes carry rules the code relies on (`is_unique_violation` turns them into
    // form messages), so they must be the same on both.
    let sqlite_ix = sqlite_indexes(&sqlite_url).await;
    let postgres_ix: Indexes = postgres_indexes(&postgres_url)
        .await
        .into_iter()
        .filter(|i| i != "search_docs(vector)")
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        sqlite_ix
            .iter()
            .any(|i| i.starts_with("people(email_norm) unique")),
        "{sqlite_ix:?}"
    );
    assert_eq!(
        sqlite_ix, postgres_ix,
        "indexes differ between SQLite (left) and PostgreSQL (right)"
    );
    assert!(
        sqlite.contains_key("people") && sqlite.contains_key("sessions"),
        "{sqlite:?}"
    );
    // Full-text search is the one structure that differs by design (FTS5 and its shadow
    // tables, or a tsvector table); both backends have a table of that name.
    let common = |s: &Schema| {
        s.keys()
            .filter(|t| !t.starts_with("post_search_") && !t.starts_with("search_fts"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        common(&sqlite),
        common(&postgres),
        "the two backends have different tables"
    );
    for (table, columns) in &sqlite {
        if table.starts_with("post_search") || table.starts_with("search_fts") {
            continue;
        }
        assert_eq!(
            columns, &postgres[table],
            "table {table} differs between SQLite (left) and PostgreSQL (right)"
        );
    }
}
