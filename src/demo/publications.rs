//! The demo's publications: a dozen of every type and audience (everyone, members, a cohort),
//! each with a small PDF made here whose text search finds, one in two versions, one a draft,
//! and downloads from several cities.

use super::{Seed, cohorts::pdf, db};
use crate::{files, publications};

/// (title, type, audience, the cohort's address for a cohort's, the PDF's line).
const PUBLICATIONS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "The State of Mayoral Innovation 2026",
        "report",
        "public",
        "",
        "Forty member cities on what they tried this year and what they would do again.",
    ),
    (
        "Lead Service Line Replacement: Where to Start",
        "brief",
        "members",
        "",
        "Replace the lines under schools and daycares first, and map the rest as you go.",
    ),
    (
        "Tiered Water Rates Toolkit",
        "toolkit",
        "cohorts",
        "water-affordability",
        "A lifeline tier keeps essential water affordable for every household.",
    ),
    (
        "Participatory Budgeting in a Mid-Sized City",
        "case_study",
        "public",
        "",
        "One district, 250,000 dollars and eleven weeks from ideas to a vote.",
    ),
    (
        "Guaranteed Income Pilots: Measuring What Matters",
        "brief",
        "members",
        "",
        "Food security, housing stability and employment are the outcomes most pilots track.",
    ),
    (
        "Heat Action Plans Webinar",
        "webinar",
        "public",
        "",
        "Cooling centers open at a heat index of 100 and stay open until 8 in the evening.",
    ),
    (
        "Budget Dashboards That Residents Use",
        "toolkit",
        "cohorts",
        "data-driven-budgeting",
        "Publish the budget as open data and a one-page summary residents can read.",
    ),
    (
        "Safe Streets Grants: Local Match Options",
        "brief",
        "members",
        "",
        "An approved capital line can serve as the local match when it is not federal money.",
    ),
    (
        "Building Performance Standards for Municipal Buildings",
        "report",
        "members",
        "",
        "Start with city hall and libraries, then phase in the rest over five years.",
    ),
    (
        "New Mayors' First Hundred Days",
        "toolkit",
        "cohorts",
        "new-mayors-circle",
        "Meet every department head in the first month and set three public goals.",
    ),
    (
        "Inclusionary Zoning Across the Network",
        "case_study",
        "members",
        "",
        "Set-aside requirements between ten and twenty percent, with in-lieu fees.",
    ),
    (
        "Climate Resilience Funding Roundtable",
        "webinar",
        "members",
        "",
        "Braiding state and federal resilience funds for one project.",
    ),
];

/// The first publications' covers: the sky's two colours and what the picture shows.
const COVERS: &[([u8; 3], [u8; 3], &str)] = &[
    (
        [28, 58, 110],
        [236, 190, 120],
        "A city skyline drawn in blocks against an evening sky",
    ),
    (
        [20, 90, 120],
        [200, 230, 235],
        "A row of city blocks under a pale blue sky",
    ),
    (
        [10, 70, 90],
        [170, 220, 210],
        "Blocks of a town drawn against a teal sky",
    ),
];

impl Seed<'_> {
    pub(super) async fn publications(&self) -> Result<(), String> {
        let (staff,): (i64,) =
            sqlx::query_as("SELECT id FROM people WHERE role = 'staff' ORDER BY id LIMIT 1")
                .fetch_one(&self.state.pool)
                .await
                .map_err(db)?;
        for (i, (title, kind, visibility, cohort, line)) in PUBLICATIONS.iter().enumerate() {
            let slug = crate::text::slug::slugify(title);
            let day = self.now - (i as i64 * 23 + 3) * 86_400;
            let date = crate::time::utc_date(day);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO publications (slug, title, summary, summary_html, authors, published_on, kind, \
                 external_url, visibility, status, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'Mayors Innovation Project staff', $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
            )
            .bind(&slug)
            .bind(title)
            .bind(line)
            .bind(crate::text::markdown::Rendered::now(line).html)
            .bind(&date)
            .bind(kind)
            .bind(if *kind == "webinar" { "https://www.youtube.com/@mayorsinnovation" } else { "" })
            .bind(visibility)
            .bind(if i == 11 { "draft" } else { "published" })
            .bind(staff)
            .bind(day)
            .fetch_one(&self.state.pool)
            .await
            .map_err(db)?;
            if !cohort.is_empty() {
                sqlx::query("INSERT INTO publication_cohorts (publication_id, cohort_id) SELECT $1, id FROM cohorts WHERE slug = $2")
                    .bind(id)
                    .bind(cohort)
                    .execute(&self.state.pool)
                    .await
                    .map_err(db)?;
            }
            // The first three have a cover picture, drawn here.
            if let Some((from, to, alt)) = COVERS.get(i) {
                let png = crate::demo::cover_png(*from, *to, i as u32 + 20);
                let image = crate::news::images::save(self.state, &format!("{slug}.png"), &png)
                    .await
                    .map_err(|e| e.to_string())?
                    .map_err(|e| e.to_string())?;
                sqlx::query(
                    "UPDATE publications SET cover_image_id = $1, cover_alt = $2 WHERE id = $3",
                )
                .bind(image)
                .bind(alt)
                .bind(id)
                .execute(&self.state.pool)
                .await
                .map_err(db)?;
            }
            // Two versions of the first; one of each other.
            for version in 1..=(if i == 0 { 2 } else { 1 }) {
                let heading = format!("{title} (version {version})");
                self.version(id, &heading, line, (staff, day + version))
                    .await?;
            }
        }
        self.downloads().await
    }

    /// A PDF of its own as the publication's next version, with its text for search.
    async fn version(
        &self,
        id: i64,
        heading: &str,
        line: &str,
        (staff, at): (i64, i64),
    ) -> Result<(), String> {
        let bytes = pdf(heading, &[line]);
        let (status, text) = publications::pdf_text(bytes.clone()).await;
        let name = format!("{}.pdf", crate::text::slug::slugify(heading));
        let file = files::store_bytes(
            &self.state.pool,
            self.now,
            &publications::RULES,
            &name,
            &bytes,
        )
        .await
        .map_err(|e| e.to_string())?;
        let mut tx = self.state.begin_write().await.map_err(db)?;
        files::attach(&mut tx, file.id).await.map_err(db)?;
        sqlx::query(
            "INSERT INTO publication_files (publication_id, file_id, version, added_by, added_at, text_status, body_text) \
             VALUES ($1, $2, (SELECT COALESCE(MAX(version), 0) + 1 FROM publication_files WHERE publication_id = $1), $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(file.id)
        .bind(staff)
        .bind(at)
        .bind(status.as_str())
        .bind(text)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    /// Downloads from several cities over the last months.
    async fn downloads(&self) -> Result<(), String> {
        sqlx::query(
            "INSERT INTO publication_downloads (publication_id, city_id, at) \
             SELECT p.id, c.id, $1 - ((p.id * 7 + c.id * 13) % 90) * 86400 FROM publications p, cities c \
             WHERE p.status = 'published' AND c.status = 'active' AND (p.id + c.id) % 3 = 0",
        )
        .bind(self.now)
        .execute(&self.state.pool)
        .await
        .map_err(db)?;
        Ok(())
    }
}
