//! `portal demo`: fills an empty database with a living network, so that a new user sees
//! what the portal is for. Passwords are random and printed once.

use std::fmt::Write;

mod pictures;
pub use pictures::Scene;

use image::{ImageFormat, Rgb, RgbImage};

use crate::{
    accounts::{db as people_db, password},
    members::cities::{self, NewCity},
    news::{self, PostInput, PostState, images},
    policy::{CityStatus, Role},
    state::AppState,
    text::slug,
};

struct DemoCity {
    name: &'static str,
    state: &'static str,
    population: i64,
    website: &'static str,
    status: CityStatus,
    mayor: &'static str,
    advisors: &'static [(&'static str, &'static str)],
}

const CITIES: &[DemoCity] = &[
    DemoCity {
        name: "Lafayette",
        state: "CO",
        population: 30_411,
        website: "https://www.lafayetteco.gov",
        status: CityStatus::Active,
        mayor: "Jamie Harkins",
        advisors: &[
            ("Morgan Ellis", "Chief of Staff"),
            ("Priya Natarajan", "Sustainability Manager"),
        ],
    },
    DemoCity {
        name: "Madison",
        state: "WI",
        population: 269_840,
        website: "https://www.cityofmadison.com",
        status: CityStatus::Active,
        mayor: "Dana Whitfield",
        advisors: &[("Luis Ortega", "Policy Director")],
    },
    DemoCity {
        name: "Providence",
        state: "RI",
        population: 190_934,
        website: "https://www.providenceri.gov",
        status: CityStatus::Active,
        mayor: "Samuel Okafor",
        advisors: &[("Grace Kim", "Senior Advisor")],
    },
    DemoCity {
        name: "Tacoma",
        state: "WA",
        population: 219_346,
        website: "https://www.cityoftacoma.org",
        status: CityStatus::Active,
        mayor: "Renee Castillo",
        advisors: &[],
    },
    DemoCity {
        name: "Dayton",
        state: "OH",
        population: 137_644,
        website: "https://www.daytonohio.gov",
        status: CityStatus::Active,
        mayor: "Marcus Bell",
        advisors: &[("Hannah Brooks", "Deputy Mayor")],
    },
    DemoCity {
        name: "Ithaca",
        state: "NY",
        population: 32_108,
        website: "https://www.cityofithaca.org",
        status: CityStatus::Active,
        mayor: "Elena Vasquez",
        advisors: &[],
    },
    DemoCity {
        name: "Santa Fe",
        state: "NM",
        population: 88_193,
        website: "https://www.santafenm.gov",
        status: CityStatus::Active,
        mayor: "Tomás Aragon",
        advisors: &[("Nina Begay", "Housing Advisor")],
    },
    DemoCity {
        name: "Boise",
        state: "ID",
        population: 235_684,
        website: "https://www.cityofboise.org",
        status: CityStatus::Active,
        mayor: "Claire Donnelly",
        advisors: &[],
    },
    DemoCity {
        name: "Durham",
        state: "NC",
        population: 285_527,
        website: "https://www.durhamnc.gov",
        status: CityStatus::Active,
        mayor: "Andre Whitaker",
        advisors: &[("Keisha Morgan", "Equity Officer")],
    },
    DemoCity {
        name: "Burlington",
        state: "VT",
        population: 44_743,
        website: "https://www.burlingtonvt.gov",
        status: CityStatus::Active,
        mayor: "Owen Lindqvist",
        advisors: &[],
    },
    DemoCity {
        name: "Flagstaff",
        state: "AZ",
        population: 76_831,
        website: "https://www.flagstaff.az.gov",
        status: CityStatus::Active,
        mayor: "Rosa Yazzie",
        advisors: &[],
    },
    DemoCity {
        name: "Dubuque",
        state: "IA",
        population: 59_667,
        website: "https://www.cityofdubuque.org",
        status: CityStatus::Lapsed,
        mayor: "Peter Hall",
        advisors: &[],
    },
];

const TOPICS: &[&str] = &[
    "Public Health",
    "Water",
    "Racial Equity",
    "Public Safety",
    "Data & Technology",
    "Economic Opportunity",
];

struct DemoPost {
    title: &'static str,
    topics: &'static [&'static str],
    guest: &'static str,
    members_only: bool,
    days_ago: i64,
    /// Its cover picture, drawn here; its alt text says what the scene shows.
    scene: Scene,
    body: &'static str,
}

const POSTS: &[DemoPost] = &[
    DemoPost {
        title: "City Data and Pandemic Response",
        topics: &["Data & Technology", "Public Health"],
        guest: "",
        members_only: false,
        days_ago: 2,
        scene: Scene::SkylineAtDusk,
        body: "When the pandemic reached our member cities, the mayors who moved fastest were the ones who already knew what their data could tell them.\n\n## What worked\n\n- **Shared dashboards** that put case counts, hospital capacity and service requests side by side, updated daily and open to the public.\n- **Neighborhood-level data**, so that testing sites and food distribution went where need was greatest, not where it was easiest.\n- **A data lead in the mayor's office** who could translate between public health officials and department heads.\n\n## What we learned together\n\nIn our cohort calls, mayors from cities of 30,000 and of 600,000 found the same thing: the technology mattered less than the habit of asking what the numbers meant for residents this week. Several cities now keep the dashboards they built for the emergency as everyday tools.\n\nMember cities can find the dashboard templates and the notes from the cohort in the members' resources.",
    },
    DemoPost {
        title: "COVID-19 and Water Affordability",
        topics: &["Water", "Public Health"],
        guest: "",
        members_only: false,
        days_ago: 6,
        scene: Scene::RiverAndBridge,
        body: "Clean water is the first line of defense against any virus, and yet millions of households owe their utilities more than they can pay.\n\nAt the start of the pandemic, many member cities suspended shutoffs and restored service to disconnected homes. The harder question came next: how do you keep water affordable once the emergency orders end?\n\n## Approaches from member cities\n\n1. **Income-based rates** that cap water bills at a share of household income.\n2. **Arrears forgiveness** tied to on-time payment of current bills.\n3. **Plain-language outreach** in every language spoken in the city, through community organizations residents already trust.\n\nUtilities that adopted these measures report that collections held steady or improved, because bills that people can pay get paid.",
    },
    DemoPost {
        title: "Announcing Healthy Babies Initiative Grant Recipients",
        topics: &["Public Health", "Racial Equity"],
        guest: "",
        members_only: false,
        days_ago: 11,
        scene: Scene::ParkWithTrees,
        body: "We are proud to announce the member cities that will receive grants through the Healthy Babies Initiative, a program to reduce infant mortality and close the racial gaps in birth outcomes.\n\nEach city will work with community health workers, hospitals and families to design its own approach, and the cities will meet every quarter to share what they learn.\n\n## The grant recipients\n\n- **Dayton, OH**, expanding home visits by community health workers.\n- **Durham, NC**, connecting expectant mothers with doulas through the city's health clinics.\n- **Providence, RI**, building a warm hand-off between prenatal care and housing assistance.\n\nThank you to every city that applied. The applications themselves are a library of good ideas, and we will share them with all members.",
    },
    DemoPost {
        title: "Ending Police Brutality: A Mayor's Perspective & Call to Action",
        topics: &["Public Safety", "Racial Equity"],
        guest: "Guest post by Mayor Jamie Harkins, Lafayette, CO",
        members_only: false,
        days_ago: 17,
        scene: Scene::HousesAtNight,
        body: "As mayors, we are responsible for the safety of every resident, and for the conduct of the people we ask to keep them safe.\n\nThe killing of George Floyd asked each of us a direct question: what will you change in your own city? In Lafayette, we began by listening. We held sessions in every neighborhood and asked residents what safety meant to them.\n\n## What I am asking of my fellow mayors\n\n- **Publish your use-of-force policies** and the data on how they are applied.\n- **Send trained responders**, not only police, to mental health and homelessness calls.\n- **Give residents a real voice** in oversight, with the independence to use it.\n\nNone of us can do this alone. This network exists so that a mayor in a city of 30,000 can learn from one in a city of 300,000, and the other way around. Let us use it.",
    },
    DemoPost {
        title: "City Leadership in Addressing Racial Inequities",
        topics: &["Racial Equity", "Economic Opportunity"],
        guest: "",
        members_only: false,
        days_ago: 24,
        scene: Scene::BusOnStreet,
        body: "Racial inequities in our cities were built by policy, and policy can help undo them.\n\nOur Racial Equity cohort brought together mayors and their advisors for a year of work on budgets, hiring, contracting and land use. Their conclusion: equity is not a program, it is a way of making every decision.\n\n## Tools the cohort produced\n\n- A **budget equity checklist** used in six member cities this year.\n- Model language for **contracting goals** that survive legal review.\n- A guide to **community engagement** that pays residents for their time and expertise.\n\nMember cities can join the next cohort this spring.",
    },
    DemoPost {
        title: "Cohort Notes: Small Cities, Big Broadband Ambitions",
        topics: &["Data & Technology", "Economic Opportunity"],
        guest: "",
        members_only: true,
        days_ago: 30,
        scene: Scene::TowerOverHills,
        body: "These notes from our broadband cohort are for member cities.\n\nFour small cities compared their paths to universal broadband: a municipal utility, a public-private partnership, a cooperative, and a dig-once policy that cut costs for every provider.\n\nThe full comparison, with budgets and timelines, is in the members' resources.",
    },
];

/// Readable random passwords: four words and a number.
fn passphrase() -> String {
    const WORDS: &[&str] = &[
        "river", "lantern", "prairie", "harbor", "maple", "granite", "meadow", "orchard", "canyon",
        "bridge", "library", "garden", "market", "beacon", "willow", "summit", "ferry", "compass",
        "harvest", "station", "cedar", "plaza", "anchor", "meridian", "thistle", "juniper",
        "copper", "lagoon", "quarry", "trolley",
    ];
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("random source");
    let w = |i: usize| WORDS[bytes[i] as usize % WORDS.len()];
    format!(
        "{}-{}-{}-{}-{}",
        w(0),
        w(1),
        w(2),
        w(3),
        10 + (u16::from(bytes[4]) * 256 + u16::from(bytes[5])) % 90
    )
}

fn email_for(name: &str, domain: &str) -> String {
    let local: String = slug::slugify(name).replace('-', ".");
    format!("{local}@{domain}")
}

/// A cover drawn here: a diagonal gradient with a skyline of blocks.
pub fn cover_png(from: [u8; 3], to: [u8; 3], seed: u32) -> Vec<u8> {
    let (w, h) = (1200u32, 675u32);
    let mut img = RgbImage::new(w, h);
    for (x, y, px) in img.enumerate_pixels_mut() {
        let t = (x as f32 / w as f32 * 0.6 + y as f32 / h as f32 * 0.4).min(1.0);
        let mix = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * t) as u8;
        *px = Rgb([
            mix(from[0], to[0]),
            mix(from[1], to[1]),
            mix(from[2], to[2]),
        ]);
    }
    let mut x = 0;
    let mut s = seed.wrapping_mul(2_654_435_761);
    while x < w {
        s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let bw = 50 + (s >> 8) % 90;
        let bh = 120 + (s >> 16) % 320;
        for xx in x..(x + bw).min(w) {
            for yy in h - bh..h {
                let p = img.get_pixel_mut(xx, yy);
                *p = Rgb([p[0] / 2 + 10, p[1] / 2 + 10, p[2] / 2 + 20]);
            }
        }
        x += bw + 8;
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .expect("encoding a PNG in memory");
    out.into_inner()
}

/// What `portal demo` made, with the passwords to print once.
pub struct Report {
    pub logins: Vec<(String, String, String, String)>,
    pub cities: usize,
    pub posts: usize,
    /// Each cohort and who facilitates it, by name.
    pub facilitation: Vec<(String, String)>,
}

/// Lines of cells in columns as wide as their widest cell (counted in characters, so that a
/// name with accents keeps the columns aligned), each line indented by two spaces.
fn columns(s: &mut String, rows: &[Vec<&str>]) {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..n)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let mut line = String::from(" ");
        for (i, cell) in row.iter().enumerate() {
            line.push(' ');
            line.push_str(cell);
            if i + 1 < row.len() {
                line.extend(std::iter::repeat_n(
                    ' ',
                    widths[i] - cell.chars().count() + 1,
                ));
            }
        }
        let _ = writeln!(s, "{line}");
    }
}

impl Report {
    pub fn text(&self, base: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Demo network ready: {} cities, {} people, {} posts.",
            self.cities,
            self.logins.len(),
            self.posts
        );
        let _ = writeln!(
            s,
            "Log in at {base}/login. These passwords are shown only now:\n"
        );
        let mut rows = vec![vec!["Role", "Name", "Email", "Password"]];
        rows.extend(
            self.logins
                .iter()
                .map(|(role, who, email, password)| vec![role.as_str(), who, email, password]),
        );
        columns(&mut s, &rows);
        if !self.facilitation.is_empty() {
            let _ = writeln!(s, "\nWho facilitates which cohort:\n");
            let mut rows = vec![vec!["Cohort", "Facilitators"]];
            rows.extend(
                self.facilitation
                    .iter()
                    .map(|(cohort, who)| vec![cohort.as_str(), who.as_str()]),
            );
            columns(&mut s, &rows);
        }
        s
    }
}

/// Fills an empty database; refuses one that has cities or posts already.
pub async fn run(state: &AppState, extra_posts: usize) -> Result<Report, String> {
    let existing: i64 =
        sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM cities) + (SELECT COUNT(*) FROM posts)")
            .fetch_one(&state.pool)
            .await
            .map_err(db)?;
    if existing > 0 {
        return Err(
            "the database already has cities or posts; `portal demo` fills only an empty one"
                .to_owned(),
        );
    }
    let mut seed = Seed {
        state,
        now: state.clock.now(),
        logins: Vec::new(),
    };
    let staff_id = seed.people_and_cities().await?;
    let topic_ids = seed.topics().await?;
    seed.posts(&topic_ids, staff_id, extra_posts).await?;
    seed.home().await?;
    seed.identity().await?;
    seed.pages().await?;
    seed.cohorts().await?;
    seed.meetings().await?;
    seed.assistance().await?;
    seed.publications().await?;
    // The demo writes its bodies directly: render them now, as a save would have.
    crate::db::fill_rendered(&state.pool).await.map_err(db)?;
    // And index it, as each change would have.
    crate::search::reindex(state).await.map_err(db)?;
    let facilitators: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.name, p.name FROM cohort_members m JOIN cohorts c ON c.id = m.cohort_id \
         JOIN people p ON p.id = m.person_id WHERE m.role = 'facilitator' ORDER BY c.name, p.name",
    )
    .fetch_all(&state.pool)
    .await
    .map_err(db)?;
    let mut facilitation: Vec<(String, String)> = Vec::new();
    for (cohort, who) in facilitators {
        match facilitation.last_mut() {
            Some((c, names)) if *c == cohort => {
                names.push_str(", ");
                names.push_str(&who);
            }
            _ => facilitation.push((cohort, who)),
        }
    }
    Ok(Report {
        logins: seed.logins,
        cities: CITIES.len(),
        posts: POSTS.len() + extra_posts,
        facilitation,
    })
}

/// The demo's assistance requests, one in every status.
pub mod assistance;
/// The demo's cohorts (of each join policy, with threads, resources and sessions).
pub mod cohorts;
/// The demo's annual meetings (the coming one, open, and last year's).
pub mod meetings;
/// The demo's publications, a dozen of every type and audience.
pub mod publications;

fn db(e: sqlx::Error) -> String {
    e.to_string()
}

/// The demo being made, with the logins made so far.
struct Seed<'a> {
    state: &'a AppState,
    now: i64,
    logins: Vec<(String, String, String, String)>,
}

impl Seed<'_> {
    /// A person with a random password, kept to print once.
    async fn person(
        &mut self,
        name: &str,
        title: &str,
        role: Role,
        city: Option<(i64, &str)>,
        domain: &str,
    ) -> Result<i64, String> {
        let email = email_for(name, domain);
        let pw = passphrase();
        let hash = password::hash(self.state, &pw)
            .await
            .map_err(|e| e.to_string())?;
        let mut conn = self.state.pool.acquire().await.map_err(db)?;
        let id = people_db::insert(
            &mut conn,
            people_db::NewPerson {
                city_id: city.map(|c| c.0),
                email: &email,
                email_norm: &email,
                name,
                title,
                role,
                password_hash: &hash,
                now: self.now,
            },
        )
        .await
        .map_err(db)?;
        let who = match city {
            Some((_, label)) => format!("{name} ({label})"),
            None => name.to_owned(),
        };
        self.logins.push((role.as_str().to_owned(), who, email, pw));
        Ok(id)
    }

    /// The staff, then each city with its mayor and advisors; the first staff member's id.
    async fn people_and_cities(&mut self) -> Result<i64, String> {
        let org = "mayorsinnovation.example.org";
        let staff_id = self
            .person("Alex Rivera", "Program Director", Role::Staff, None, org)
            .await?;
        self.person("Robin Chen", "Network Coordinator", Role::Staff, None, org)
            .await?;
        for (i, c) in CITIES.iter().enumerate() {
            let member_since = format!("{}-0{}-01", 2012 + i % 10, 1 + i % 9);
            let renewal_date = format!("2027-0{}-01", 1 + i % 9);
            let city = NewCity {
                name: c.name,
                state: c.state,
                population: c.population,
                website: c.website,
                status: c.status,
                member_since: &member_since,
                renewal_date: Some(&renewal_date),
                time_zone: "",
            };
            let mut tx = self.state.begin_write().await.map_err(db)?;
            let city_id = cities::create_city(&mut tx, self.now, staff_id, &city, "demo")
                .await
                .map_err(db)?
                .ok_or_else(|| format!("{}, {} exists already", c.name, c.state))?
                .id;
            tx.commit().await.map_err(db)?;
            let label = format!("{}, {}", c.name, c.state);
            let domain = format!("{}.example.gov", slug::slugify(c.name).replace('-', ""));
            let here = Some((city_id, label.as_str()));
            self.person(c.mayor, "Mayor", Role::Mayor, here, &domain)
                .await?;
            for (name, title) in c.advisors {
                self.person(name, title, Role::Advisor, here, &domain)
                    .await?;
            }
        }
        // The demo's mayors and advisors chose to be listed with their account's email, so
        // that the members' directory has people to find and write to.
        sqlx::query(
            "UPDATE people SET listed = 1, shown_email_kind = 'account' WHERE role IN ('mayor', 'advisor')",
        )
        .execute(&self.state.pool)
        .await
        .map_err(db)?;
        Ok(staff_id)
    }

    async fn topics(&self) -> Result<Vec<(&'static str, i64)>, String> {
        let mut topic_ids = Vec::new();
        for t in TOPICS {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO topics (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(slug::slugify(t))
            .bind(*t)
            .bind(self.now)
            .fetch_one(&self.state.pool)
            .await
            .map_err(db)?;
            topic_ids.push((*t, id));
        }
        Ok(topic_ids)
    }

    /// The posts with their drawn covers, then `extra` short ones (for trying pagination).
    async fn posts(
        &self,
        topic_ids: &[(&'static str, i64)],
        author: i64,
        extra: usize,
    ) -> Result<(), String> {
        for (i, p) in POSTS.iter().enumerate() {
            let image = self.cover(p).await?;
            let topics: Vec<i64> = p
                .topics
                .iter()
                .filter_map(|t| topic_ids.iter().find(|(n, _)| n == t).map(|(_, id)| *id))
                .collect();
            let body = crate::text::markdown::Rendered::now(p.body);
            let post = PostInput {
                excerpt: if p.members_only {
                    "Notes from the cohort, for member cities."
                } else {
                    ""
                },
                guest_byline: p.guest,
                members_only: p.members_only,
                cover_image_id: Some(image),
                cover_alt: p.scene.alt(),
                topics: &topics,
                ..published(p.title, &body)
            };
            let at = self.now - p.days_ago * 86_400 - 3600 * i as i64;
            self.post(&post, at, author).await?;
        }
        for n in 0..extra {
            let title = format!(
                "Network Notes No. {}: What Member Cities Tried This Week",
                n + 1
            );
            let body = format!(
                "Notes number {} from the network. Mayors compared approaches to {} and shared what worked in cities large and small.\n\nMember cities traded budgets, timelines and lessons learned.",
                n + 1,
                TOPICS[n % TOPICS.len()].to_lowercase()
            );
            let body = crate::text::markdown::Rendered::now(&body);
            let topics = [topic_ids[n % topic_ids.len()].1];
            let post = PostInput {
                topics: &topics,
                ..published(&title, &body)
            };
            let at = self.now - 40 * 86_400 - n as i64 * 1800;
            self.post(&post, at, author).await?;
        }
        Ok(())
    }

    /// A demo post's cover: its own scene, drawn here.
    async fn cover(&self, p: &DemoPost) -> Result<i64, String> {
        let png = p.scene.png();
        let name = format!("{}.png", slug::slugify(p.title));
        images::save(self.state, &name, &png)
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }

    /// A post published at `at`, written then.
    async fn post(&self, post: &PostInput<'_>, at: i64, author: i64) -> Result<i64, String> {
        let slug = slug::slugify(post.title);
        let post = PostInput {
            slug: &slug,
            publish_at: Some(at),
            ..*post
        };
        let mut tx = self.state.begin_write().await.map_err(db)?;
        let id = news::create_post(&mut tx, author, at, &post)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(id)
    }

    /// The home page's statement and a testimonial.
    async fn home(&self) -> Result<(), String> {
        let pool = &self.state.pool;
        let testimonial = crate::site::TestimonialForm {
            quote: "The Mayors Innovation Project is the best place to get new ideas and make some truly useful connections.".to_owned(),
            name: "Mayor Jamie Harkins".to_owned(),
            title: String::new(),
            city: "Lafayette, CO".to_owned(),
            active: "1".to_owned(),
        };
        crate::site::add(pool, &testimonial, self.now)
            .await
            .map_err(db)?;
        crate::site::set_setting(pool, "home.heading", "A learning network for mayors.")
            .await
            .map_err(db)?;
        crate::site::set_setting(pool, "home.body", crate::site::DEFAULT_BODY)
            .await
            .map_err(db)
    }

    /// The organization's contact lines, social links and a logo drawn here.
    async fn identity(&self) -> Result<(), String> {
        let pool = &self.state.pool;
        let values = crate::site::IdentityForm {
            org_name: String::new(),
            org_tagline: String::new(),
            contact_email: "info@mayorsinnovation.example".to_owned(),
            address: "1180 Observatory Drive\nMadison, WI 53706".to_owned(),
            social: "Bluesky https://bsky.app/profile/mayorsinnovation.example\nLinkedIn https://www.linkedin.com/company/mayors-innovation-example".to_owned(),
        }
        .check()
        .map_err(|e| format!("{:?}", e.all()))?;
        crate::site::save_identity_settings(pool, &values)
            .await
            .map_err(db)?;
        let logo = crate::files::store_bytes(
            pool,
            self.now,
            &crate::site::LOGO,
            "logo.svg",
            LOGO_SVG.as_bytes(),
        )
        .await
        .map_err(|e| e.to_string())?;
        crate::site::set_logo(self.state, logo.id)
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// About us, Contact, Privacy, Accessibility, and the member areas' public descriptions.
    async fn pages(&self) -> Result<(), String> {
        for (slug, title, placement, position, body) in PAGES {
            let body = crate::text::markdown::Rendered::now(body);
            let input = crate::pages::PageInput {
                slug,
                title,
                body: &body,
                placement,
                position,
                published: true,
            };
            crate::pages::insert(self.state, &input, self.now)
                .await
                .map_err(db)?;
        }
        crate::web::identity::forget(self.state);
        Ok(())
    }
}

/// The demo's logo, drawn here: a white mark (three rising bars under an arc, a city
/// learning) and the initials, for the header's dark background.
pub const LOGO_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 168 48" width="168" height="48">
<title>Mayors Innovation Project</title>
<path d="M6 40 A22 22 0 0 1 46 40" fill="none" stroke="#ffffff" stroke-width="3"/>
<rect x="14" y="26" width="6" height="14" fill="#ffffff"/>
<rect x="23" y="20" width="6" height="20" fill="#f4c95d"/>
<rect x="32" y="14" width="6" height="26" fill="#ffffff"/>
<text x="56" y="33" font-family="Georgia, serif" font-size="22" font-weight="700" fill="#ffffff">MIP</text>
<text x="104" y="33" font-family="Arial, sans-serif" font-size="11" fill="#e4ecf7">mayors</text>
</svg>
"##;

/// The demo's pages: the four the footer links, and the public descriptions of the member
/// areas that the home page promises, in the header's navigation or linked from them.
const PAGES: [(&str, &str, &str, i64, &str); 9] = [
    (
        "membership",
        "What membership means",
        "none",
        0,
        "- **What it costs:** annual dues by population, from $1,500 for a city under 25,000 people to $7,500 for one over 250,000; the first year is half price.\n- **What it gives:** a place in cohorts and networks, two seats at the annual meeting, technical assistance from our staff, and every brief and report, for the mayor and the city's advisors.\n- **How long review takes:** our staff reply within two weeks; once approved, the mayor gets an invitation by email the same day.\n\nQuestions? Write to us before applying.",
    ),
    (
        "about-us",
        "About us",
        "footer",
        1,
        "The Mayors Innovation Project is a learning network for mayors. Mayors of cities large and small, and their most trusted advisors, meet here to learn from each other: what worked, what did not, and what to try next.\n\n## What we do\n\n- We run [cohorts and networks](/pages/cohorts-and-networks) on the questions cities face together.\n- We gather every member city at the [annual meeting](/pages/annual-meeting).\n- Our staff offer [technical assistance](/pages/technical-assistance) when a city needs it.\n- We publish [briefs and reports](/pages/publications) drawn from members' experience.\n\nWe are non-partisan, and we do not lobby.",
    ),
    (
        "contact",
        "Contact",
        "footer",
        2,
        "Write to us at [info@mayorsinnovation.example](mailto:info@mayorsinnovation.example), or by post to 1180 Observatory Drive, Madison, WI 53706.\n\nCities that wish to become members can [apply to join](/join). Members can reach their staff contact from their [member home](/home).",
    ),
    (
        "privacy",
        "Privacy",
        "footer",
        3,
        "We keep what the portal needs to run the network: the names, titles, email addresses and cities of the people of member cities and staff, and what they write here.\n\n- We never sell or share it for advertising.\n- The portal sets one cookie, to keep you logged in; it tracks nothing else.\n- Emails go only to people who are members, applied, or were invited.\n\nTo see, correct or delete what we hold about you, write to [info@mayorsinnovation.example](mailto:info@mayorsinnovation.example).",
    ),
    (
        "accessibility",
        "Accessibility",
        "footer",
        4,
        "We aim for the portal to meet the Web Content Accessibility Guidelines (WCAG) 2.2 at level AA. Every page works with a keyboard and a screen reader, without JavaScript, and on a small screen; every page is checked automatically before each release.\n\nIf something is hard to use, tell us at [info@mayorsinnovation.example](mailto:info@mayorsinnovation.example) and we will answer within five working days.",
    ),
    (
        "cohorts-and-networks",
        "Cohorts & networks",
        "header",
        1,
        "Cohorts bring together a dozen member cities for a year on one question: housing affordability, climate resilience, public safety, the local economy. They meet every month online and once in person, with experts and with each other.\n\nMembers find their cohorts, meetings and shared notes in the member area once logged in.",
    ),
    (
        "annual-meeting",
        "Annual meeting",
        "header",
        2,
        "Once a year the mayors and advisors of every member city meet for two days of workshops, site visits and conversations between peers. The meeting moves from city to city.\n\nMembers register, see the programme and find their fellow participants on [the annual meeting's page](/meetings).",
    ),
    (
        "technical-assistance",
        "Technical assistance",
        "header",
        3,
        "When a member city takes on something new, our staff can help: finding cities that have done it, reading a draft ordinance, or preparing a council presentation.\n\nMembers ask for assistance, and follow their requests, in the member area once logged in.",
    ),
    (
        "publications",
        "Publications",
        "header",
        4,
        "We publish short briefs and longer reports on what member cities tried and learned, from participatory budgeting to lead pipe replacement.\n\nMembers read and download every publication in the member area once logged in; public summaries appear in the [news](/news).",
    ),
];

/// A public post, published (its address and time are set by [`Seed::post`]), without
/// topics, byline or cover.
fn published<'a>(title: &'a str, body: &'a crate::text::markdown::Rendered) -> PostInput<'a> {
    PostInput {
        slug: "",
        title,
        excerpt: "",
        body,
        state: PostState::Published,
        publish_at: None,
        members_only: false,
        guest_byline: "",
        cover_image_id: None,
        cover_alt: "",
        topics: &[],
    }
}
