//! The demo's cohorts, one of each join policy, so that a new user sees living ones: their
//! facilitators (a staff member and a mayor), members from several cities, threads with
//! replies, a file and a link among the resources, and sessions in the coming weeks. One
//! advisor (Luis Ortega, Madison) is in none of them, to try joining and asking.

use super::{Seed, db};
use crate::{
    cohorts::{
        self, CohortStatus, JoinPolicy, MemberRole,
        manage::{self, NewCohort},
        resources,
    },
    files,
    viewer::Person,
};

/// The advisor left out of every cohort.
pub const OUTSIDER: &str = "Luis Ortega";

struct DemoCohort {
    slug: &'static str,
    name: &'static str,
    topic: &'static str,
    description: &'static str,
    policy: JoinPolicy,
    facilitators: &'static [&'static str],
    members: &'static [&'static str],
    threads: &'static [DemoThread],
    file: DemoFile,
    /// Title, address, note, added by.
    link: (&'static str, &'static str, &'static str, &'static str),
    /// Weeks from now, title, notes.
    sessions: &'static [(i64, &'static str, &'static str)],
    /// A request waiting for the facilitators: who, and their message.
    request: Option<(&'static str, &'static str)>,
}

struct DemoThread {
    title: &'static str,
    days_ago: i64,
    /// Author and body, the opening post first; each an hour or more after the one before.
    posts: &'static [(&'static str, &'static str)],
}

struct DemoFile {
    name: &'static str,
    title: &'static str,
    note: &'static str,
    by: &'static str,
    content: Content,
}

enum Content {
    /// A one-page PDF: its heading and lines (plain ASCII).
    Pdf(&'static str, &'static [&'static str]),
    Text(&'static str),
}

const COHORTS: &[DemoCohort] = &[
    DemoCohort {
        slug: "water-affordability",
        name: "Water Affordability",
        topic: "Keeping water bills within reach",
        description: "Mayors and advisors working out how to keep water and sewer bills affordable while paying for pipes that last: income-based rates, arrears forgiveness, shutoff policies and outreach that reaches every household.\n\nWe meet online once a month and share drafts, data and ordinances here.",
        policy: JoinPolicy::Open,
        facilitators: &["Robin Chen", "Samuel Okafor"],
        members: &[
            "Morgan Ellis",
            "Hannah Brooks",
            "Tomás Aragon",
            "Nina Begay",
            "Rosa Yazzie",
            "Peter Hall",
        ],
        threads: &[
            DemoThread {
                title: "Lifeline rates: what size of first tier worked for you?",
                days_ago: 9,
                posts: &[
                    (
                        "Morgan Ellis",
                        "Lafayette is drafting a lifeline rate for the first 3,000 gallons a month. Council asks whether that covers a family of four.\n\nWhat first tier did you pick, and how did you check it?",
                    ),
                    (
                        "Samuel Okafor",
                        "Providence started at 2,000 gallons and moved to 3,500 after a year: households of four to six were paying the second tier for basic use. Look at your billing data by household size if the utility has it.",
                    ),
                    (
                        "Nina Begay",
                        "Santa Fe pairs the lifeline tier with an income-based discount, so that the tier can stay small without hurting large low-income families. Happy to share our rate model.",
                    ),
                    (
                        "Rosa Yazzie",
                        "Flagstaff's utility modeled 3,000 gallons as enough for indoor use by four people with efficient fixtures. We kept it and added a conservation credit.",
                    ),
                ],
            },
            DemoThread {
                title: "Shutoff moratoriums after the emergency orders",
                days_ago: 4,
                posts: &[
                    (
                        "Tomás Aragon",
                        "Our winter shutoff moratorium ends in March. Has anyone made theirs permanent, or tied reconnection to a payment plan?",
                    ),
                    (
                        "Hannah Brooks",
                        "Dayton ended shutoffs for households enrolled in a payment plan of 24 months, and forgives a month of arrears for every three paid on time. Collections went up.",
                    ),
                    (
                        "Robin Chen",
                        "I added Dayton's ordinance and the two-page brief on rate design to the resources. Let's take this up at the next session.",
                    ),
                ],
            },
        ],
        file: DemoFile {
            name: "tiered-rate-design-brief.pdf",
            title: "Tiered rate design: a two-page brief",
            note: "What member cities learned about **lifeline tiers**, income-based discounts and arrears forgiveness. For the next session.",
            by: "Robin Chen",
            content: Content::Pdf(
                "Tiered rate design for affordable water",
                &[
                    "A brief for the Water Affordability cohort.",
                    "",
                    "1. Size the first tier from billing data by household size.",
                    "2. Pair a small lifeline tier with an income-based discount.",
                    "3. Forgive arrears for bills paid on time.",
                    "4. Reach every household in the languages spoken at home.",
                    "",
                    "Cities: Providence RI, Santa Fe NM, Flagstaff AZ, Dayton OH.",
                ],
            ),
        },
        link: (
            "EPA Water Finance Center",
            "https://www.epa.gov/waterfinancecenter",
            "Guides on rate design and customer assistance programs.",
            "Nina Begay",
        ),
        sessions: &[
            (
                2,
                "Lifeline tiers with the Providence utility",
                "Samuel Okafor and the Providence Water finance team walk through their rate model.",
            ),
            (
                6,
                "Arrears forgiveness: one year on",
                "Dayton's results, and drafting a model ordinance together.",
            ),
        ],
        request: None,
    },
    DemoCohort {
        slug: "data-driven-budgeting",
        name: "Data-Driven Budgeting",
        topic: "Budgets that follow the evidence",
        description: "For mayors and budget leads who want their budget to follow what the data says works: performance measures the council reads, dashboards residents use, and participatory budgeting with open data.\n\nA facilitator approves each request to join, so that the group stays small enough to share real numbers.",
        policy: JoinPolicy::Request,
        facilitators: &["Alex Rivera", "Dana Whitfield"],
        members: &[
            "Priya Natarajan",
            "Grace Kim",
            "Elena Vasquez",
            "Keisha Morgan",
            "Owen Lindqvist",
        ],
        threads: &[
            DemoThread {
                title: "Which dashboards does your council actually read?",
                days_ago: 12,
                posts: &[
                    (
                        "Priya Natarajan",
                        "We publish forty measures and council asks about three. Which ones did your council come to rely on?",
                    ),
                    (
                        "Dana Whitfield",
                        "Madison's council reads the ones tied to a decision in front of them: response times when the fire budget is up, pothole backlog before the roads vote. We now show each measure next to the budget line it informs.",
                    ),
                    (
                        "Keisha Morgan",
                        "Durham added a one-page equity view to each department's dashboard. It is the page council members quote back to us.",
                    ),
                ],
            },
            DemoThread {
                title: "Participatory budgeting with open data",
                days_ago: 3,
                posts: &[
                    (
                        "Elena Vasquez",
                        "Ithaca is starting participatory budgeting next year. Did residents use the open budget data when drafting proposals?",
                    ),
                    (
                        "Grace Kim",
                        "In Providence, proposals got better once each neighborhood got a simple table of what was already spent there. The full open data portal was too much; the table was enough.",
                    ),
                ],
            },
        ],
        file: DemoFile {
            name: "department-spending-2026.csv",
            title: "Spending by department, 2026 (sample)",
            note: "The table Providence gave neighborhoods, with sample figures: a starting point for your own.",
            by: "Keisha Morgan",
            content: Content::Text(
                "department,budget_2025,budget_2026,change_percent\nPublic Works,18400000,19100000,3.8\nParks and Recreation,6200000,6550000,5.6\nPublic Safety,41300000,42000000,1.7\nHousing,5100000,6400000,25.5\nLibraries,3900000,4000000,2.6\n",
            ),
        },
        link: (
            "GFOA budgeting best practices",
            "https://www.gfoa.org/best-practices",
            "The Government Finance Officers Association's recommended practices, by topic.",
            "Alex Rivera",
        ),
        sessions: &[
            (
                3,
                "Dashboards council members use",
                "Bring one measure your council relies on, and one it ignores.",
            ),
            (
                7,
                "Designing a participatory budgeting cycle",
                "Ithaca's draft timeline, with Providence's lessons.",
            ),
        ],
        request: Some((
            "Andre Whitaker",
            "Durham's budget office would like to share its equity dashboards and learn from yours.",
        )),
    },
    DemoCohort {
        slug: "new-mayors-circle",
        name: "New Mayors' Circle",
        topic: "The first two years in office",
        description: "A circle for mayors in their first term: a place to ask the questions you cannot ask at home, with peers who were there recently.\n\nBy invitation: staff and facilitators add new mayors.",
        policy: JoinPolicy::Invite,
        facilitators: &["Alex Rivera", "Jamie Harkins"],
        members: &[
            "Renee Castillo",
            "Claire Donnelly",
            "Marcus Bell",
            "Owen Lindqvist",
        ],
        threads: &[DemoThread {
            title: "Your first budget season: what surprised you?",
            days_ago: 6,
            posts: &[
                (
                    "Renee Castillo",
                    "Six weeks into my first budget season. What do you wish someone had told you?",
                ),
                (
                    "Jamie Harkins",
                    "That the budget is set by the decisions of the last ten years. Find the two or three lines you can move, and spend your energy there.",
                ),
                (
                    "Claire Donnelly",
                    "Meet every department head before the first draft, not after. They will tell you where the real pressures are.",
                ),
            ],
        }],
        file: DemoFile {
            name: "first-100-days-checklist.txt",
            title: "First 100 days: a checklist from past members",
            note: "Gathered from the mayors who were new last year.",
            by: "Jamie Harkins",
            content: Content::Text(
                "First 100 days: a checklist\n\n- Meet every department head one to one.\n- Read the last three budgets and audits.\n- Set one public goal you can report on at day 100.\n- Hold office hours in every neighborhood.\n- Ask a peer mayor to be your sounding board.\n",
            ),
        },
        link: (
            "National League of Cities",
            "https://www.nlc.org/",
            "Training and resources for newly elected officials.",
            "Alex Rivera",
        ),
        sessions: &[
            (
                1,
                "Peer circle: budgets and councils",
                "An open conversation; come with one question.",
            ),
            (
                5,
                "Working with your city manager",
                "Jamie Harkins and Claire Donnelly on dividing the work.",
            ),
        ],
        request: None,
    },
];

/// A one-page PDF with a heading and lines of text, in Helvetica: small, valid, made here.
pub fn pdf(heading: &str, lines: &[&str]) -> Vec<u8> {
    let escape = |s: &str| {
        s.chars()
            .filter(char::is_ascii)
            .flat_map(|c| match c {
                '(' | ')' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect::<String>()
    };
    let mut content = format!(
        "BT /F1 18 Tf 72 720 Td ({}) Tj /F1 11 Tf 0 -12 Td",
        escape(heading)
    );
    // Each line moved down and shown (`Td` then `Tj`), which every text extractor reads.
    for line in lines {
        content.push_str(&format!(" 0 -16 Td ({}) Tj", escape(line)));
    }
    content.push_str(" ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_owned(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{object}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for offset in offsets {
        out.push_str(&format!("{offset:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

/// 11:00 in Chicago, `weeks` from today there.
fn chicago_eleven(now: i64, weeks: i64) -> Result<i64, String> {
    let zone = crate::time::Zone::parse("America/Chicago")?;
    let today: jiff::civil::Date = zone.iso_date(now).parse().map_err(|e| format!("{e}"))?;
    let day = today
        .checked_add(jiff::Span::new().weeks(weeks))
        .map_err(|e| e.to_string())?;
    zone.parse_local(&format!("{day}T11:00"))
}

/// `YYYY-MM-DD`, `days` from `now` (UTC).
fn day(now: i64, days: i64) -> String {
    let t = now + days * 86_400;
    jiff::Timestamp::from_second(t)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl Seed<'_> {
    pub(super) async fn person_named(&self, name: &str) -> Result<Person, String> {
        sqlx::query_as::<_, Person>(crate::select_people!("WHERE p.name = $1"))
            .bind(name)
            .fetch_optional(&self.state.pool)
            .await
            .map_err(db)?
            .ok_or_else(|| format!("the demo has nobody named {name}"))
    }

    /// The three cohorts, with everything in them.
    pub(super) async fn cohorts(&self) -> Result<(), String> {
        for c in COHORTS {
            self.cohort(c).await?;
        }
        Ok(())
    }

    async fn cohort(&self, c: &DemoCohort) -> Result<(), String> {
        let pool = &self.state.pool;
        let now = self.now;
        let mut facilitators = Vec::new();
        for name in c.facilitators {
            facilitators.push(self.person_named(name).await?);
        }
        let new = NewCohort {
            name: c.name.to_owned(),
            slug: c.slug.to_owned(),
            topic: c.topic.to_owned(),
            description: c.description.to_owned(),
            description_html: crate::text::markdown::Rendered::now(c.description).html,
            join_policy: c.policy,
            visible: true,
            starts_on: Some(day(now, -45)),
            ends_on: Some(day(now, 200)),
            status: CohortStatus::Active,
        };
        let mut tx = self.state.begin_write().await.map_err(db)?;
        let cohort_id = manage::insert(&mut tx, &new, &facilitators, now - 45 * 86_400)
            .await
            .map_err(db)?
            .ok_or_else(|| format!("the cohort {} exists already", c.slug))?;
        for (i, name) in c.members.iter().enumerate() {
            let person = self.person_named(name).await?;
            let joined = now - (40 - i as i64) * 86_400;
            cohorts::add_member(&mut tx, cohort_id, person.id, MemberRole::Member, joined)
                .await
                .map_err(db)?;
        }
        // The demo's people chose to be listed, so that its members' pages show them.
        for name in c.facilitators.iter().chain(c.members) {
            sqlx::query("UPDATE people SET listed = 1 WHERE name = $1 AND role <> 'staff'")
                .bind(*name)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        if let Some((name, message)) = c.request {
            let person = self.person_named(name).await?;
            sqlx::query(
                "INSERT INTO cohort_requests (cohort_id, person_id, message, status, created_at) \
                 VALUES ($1, $2, $3, 'pending', $4)",
            )
            .bind(cohort_id)
            .bind(person.id)
            .bind(message)
            .bind(now - 2 * 86_400)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        for thread in c.threads {
            self.thread(cohort_id, thread).await?;
        }
        self.resources(cohort_id, c).await?;
        for (weeks, title, notes) in c.sessions {
            let starts_at = chicago_eleven(now, *weeks)?;
            let token = crate::accounts::tokens::generate();
            sqlx::query(
                "INSERT INTO cohort_sessions (cohort_id, uid, title, starts_at, ends_at, time_zone, call_url, \
                   notes, sequence, cancelled, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'America/Chicago', $6, $7, 0, 0, $8, $8)",
            )
            .bind(cohort_id)
            .bind(format!("cohort-session-{}@demo", &token[..16]))
            .bind(*title)
            .bind(starts_at)
            .bind(starts_at + 90 * 60)
            .bind(format!("https://meet.example.org/{}-{}", c.slug, &token[..8]))
            .bind(*notes)
            .bind(now)
            .execute(pool)
            .await
            .map_err(db)?;
        }
        Ok(())
    }

    /// A thread and its posts, a few hours apart, written when they were.
    async fn thread(&self, cohort_id: i64, t: &DemoThread) -> Result<(), String> {
        let start = self.now - t.days_ago * 86_400;
        let at = |i: usize| start + i as i64 * 3 * 3600;
        let (opener, _) = t.posts[0];
        let author = self.person_named(opener).await?;
        let mut authors = Vec::new();
        for (name, _) in t.posts {
            authors.push(self.person_named(name).await?.id);
        }
        let mut tx = self.state.begin_write().await.map_err(db)?;
        let thread_id: i64 = sqlx::query_scalar(
            "INSERT INTO cohort_threads (cohort_id, author_id, title, created_at, last_post_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(cohort_id)
        .bind(author.id)
        .bind(t.title)
        .bind(at(0))
        .bind(at(t.posts.len() - 1))
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        for (i, ((_, body), author_id)) in t.posts.iter().zip(authors).enumerate() {
            sqlx::query(
                "INSERT INTO cohort_posts (thread_id, author_id, body, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(thread_id)
            .bind(author_id)
            .bind(*body)
            .bind(at(i))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)
    }

    /// The cohort's file, stored through the file store, and its link.
    async fn resources(&self, cohort_id: i64, c: &DemoCohort) -> Result<(), String> {
        let f = &c.file;
        let bytes = match f.content {
            Content::Pdf(heading, lines) => pdf(heading, lines),
            Content::Text(text) => text.as_bytes().to_vec(),
        };
        let stored = files::store_bytes(
            &self.state.pool,
            self.now,
            &resources::RULES,
            f.name,
            &bytes,
        )
        .await
        .map_err(|e| e.to_string())?;
        let file_by = self.person_named(f.by).await?;
        let (link_title, url, link_note, link_by) = c.link;
        let link_by = self.person_named(link_by).await?;
        let mut tx = self.state.begin_write().await.map_err(db)?;
        if !files::attach(&mut tx, stored.id).await.map_err(db)? {
            return Err(format!("the file {} was not kept", f.name));
        }
        sqlx::query(
            "INSERT INTO cohort_resources (cohort_id, title, note, url, file_id, added_by, created_at) \
             VALUES ($1, $2, $3, NULL, $4, $5, $6)",
        )
        .bind(cohort_id)
        .bind(f.title)
        .bind(f.note)
        .bind(stored.id)
        .bind(file_by.id)
        .bind(self.now - 2 * 86_400)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query(
            "INSERT INTO cohort_resources (cohort_id, title, note, url, file_id, added_by, created_at) \
             VALUES ($1, $2, $3, $4, NULL, $5, $6)",
        )
        .bind(cohort_id)
        .bind(link_title)
        .bind(link_note)
        .bind(url)
        .bind(link_by.id)
        .bind(self.now - 8 * 86_400)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_pdf_is_a_pdf_whose_cross_references_point_at_its_objects() {
        let bytes = pdf("Rates (2026)", &["One", "Two \\ three"]);
        assert_eq!(crate::files::detect_type(&bytes), "application/pdf");
        let text = String::from_utf8(bytes).unwrap();
        let xref: usize = text
            .split("startxref\n")
            .nth(1)
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[xref..].starts_with("xref\n0 6\n"));
        for (i, line) in text[xref..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(text[offset..].starts_with(&format!("{} 0 obj", i + 1)));
        }
        assert!(text.contains("(Rates \\(2026\\)) Tj"));
    }

    #[test]
    fn sessions_start_at_eleven_in_chicago() {
        // 2026-11-27 18:00 UTC; a week on is 2026-12-04, 11:00 CST = 17:00 UTC.
        let now = 1_795_802_400;
        let t = chicago_eleven(now, 1).unwrap();
        let utc = jiff::Timestamp::from_second(t).unwrap().to_string();
        assert_eq!(utc, "2026-12-04T17:00:00Z");
        // Nobody of the demo's cohorts is the advisor left out to try joining.
        for c in COHORTS {
            assert!(!c.members.contains(&OUTSIDER) && !c.facilitators.contains(&OUTSIDER));
        }
    }
}
