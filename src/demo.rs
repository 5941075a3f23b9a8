//! `portal demo`: fills an empty database with a living network, so that a new user sees
//! what the portal is for. Passwords are random and printed once.

use std::fmt::Write;

use image::{ImageFormat, Rgb, RgbImage};

use crate::{
    accounts::{db as people_db, password, tokens},
    news::{images, markdown, search, slug},
    state::AppState,
};

struct DemoCity {
    name: &'static str,
    state: &'static str,
    population: i64,
    website: &'static str,
    status: &'static str,
    mayor: &'static str,
    advisors: &'static [(&'static str, &'static str)],
}

const CITIES: &[DemoCity] = &[
    DemoCity {
        name: "Lafayette",
        state: "CO",
        population: 30_411,
        website: "https://www.lafayetteco.gov",
        status: "active",
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
        status: "active",
        mayor: "Dana Whitfield",
        advisors: &[("Luis Ortega", "Policy Director")],
    },
    DemoCity {
        name: "Providence",
        state: "RI",
        population: 190_934,
        website: "https://www.providenceri.gov",
        status: "active",
        mayor: "Samuel Okafor",
        advisors: &[("Grace Kim", "Senior Advisor")],
    },
    DemoCity {
        name: "Tacoma",
        state: "WA",
        population: 219_346,
        website: "https://www.cityoftacoma.org",
        status: "active",
        mayor: "Renee Castillo",
        advisors: &[],
    },
    DemoCity {
        name: "Dayton",
        state: "OH",
        population: 137_644,
        website: "https://www.daytonohio.gov",
        status: "active",
        mayor: "Marcus Bell",
        advisors: &[("Hannah Brooks", "Deputy Mayor")],
    },
    DemoCity {
        name: "Ithaca",
        state: "NY",
        population: 32_108,
        website: "https://www.cityofithaca.org",
        status: "active",
        mayor: "Elena Vasquez",
        advisors: &[],
    },
    DemoCity {
        name: "Santa Fe",
        state: "NM",
        population: 88_193,
        website: "https://www.santafenm.gov",
        status: "active",
        mayor: "Tomás Aragon",
        advisors: &[("Nina Begay", "Housing Advisor")],
    },
    DemoCity {
        name: "Boise",
        state: "ID",
        population: 235_684,
        website: "https://www.cityofboise.org",
        status: "active",
        mayor: "Claire Donnelly",
        advisors: &[],
    },
    DemoCity {
        name: "Durham",
        state: "NC",
        population: 285_527,
        website: "https://www.durhamnc.gov",
        status: "active",
        mayor: "Andre Whitaker",
        advisors: &[("Keisha Morgan", "Equity Officer")],
    },
    DemoCity {
        name: "Burlington",
        state: "VT",
        population: 44_743,
        website: "https://www.burlingtonvt.gov",
        status: "active",
        mayor: "Owen Lindqvist",
        advisors: &[],
    },
    DemoCity {
        name: "Flagstaff",
        state: "AZ",
        population: 76_831,
        website: "https://www.flagstaff.az.gov",
        status: "active",
        mayor: "Rosa Yazzie",
        advisors: &[],
    },
    DemoCity {
        name: "Dubuque",
        state: "IA",
        population: 59_667,
        website: "https://www.cityofdubuque.org",
        status: "lapsed",
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
    colors: ([u8; 3], [u8; 3]),
    alt: &'static str,
    body: &'static str,
}

const POSTS: &[DemoPost] = &[
    DemoPost {
        title: "City Data and Pandemic Response",
        topics: &["Data & Technology", "Public Health"],
        guest: "",
        members_only: false,
        days_ago: 2,
        colors: ([29, 78, 137], [64, 160, 170]),
        alt: "Bar charts rising over a stylized city skyline in blue and teal",
        body: "When the pandemic reached our member cities, the mayors who moved fastest were the ones who already knew what their data could tell them.\n\n## What worked\n\n- **Shared dashboards** that put case counts, hospital capacity and service requests side by side, updated daily and open to the public.\n- **Neighborhood-level data**, so that testing sites and food distribution went where need was greatest, not where it was easiest.\n- **A data lead in the mayor's office** who could translate between public health officials and department heads.\n\n## What we learned together\n\nIn our cohort calls, mayors from cities of 30,000 and of 600,000 found the same thing: the technology mattered less than the habit of asking what the numbers meant for residents this week. Several cities now keep the dashboards they built for the emergency as everyday tools.\n\nMember cities can find the dashboard templates and the notes from the cohort in the members' resources.",
    },
    DemoPost {
        title: "COVID-19 and Water Affordability",
        topics: &["Water", "Public Health"],
        guest: "",
        members_only: false,
        days_ago: 6,
        colors: ([20, 90, 160], [120, 190, 220]),
        alt: "Water drops falling into a basin, drawn in shades of blue",
        body: "Clean water is the first line of defense against any virus, and yet millions of households owe their utilities more than they can pay.\n\nAt the start of the pandemic, many member cities suspended shutoffs and restored service to disconnected homes. The harder question came next: how do you keep water affordable once the emergency orders end?\n\n## Approaches from member cities\n\n1. **Income-based rates** that cap water bills at a share of household income.\n2. **Arrears forgiveness** tied to on-time payment of current bills.\n3. **Plain-language outreach** in every language spoken in the city, through community organizations residents already trust.\n\nUtilities that adopted these measures report that collections held steady or improved, because bills that people can pay get paid.",
    },
    DemoPost {
        title: "Announcing Healthy Babies Initiative Grant Recipients",
        topics: &["Public Health", "Racial Equity"],
        guest: "",
        members_only: false,
        days_ago: 11,
        colors: ([150, 60, 110], [240, 170, 120]),
        alt: "A warm abstract of overlapping circles in rose and apricot",
        body: "We are proud to announce the member cities that will receive grants through the Healthy Babies Initiative, a program to reduce infant mortality and close the racial gaps in birth outcomes.\n\nEach city will work with community health workers, hospitals and families to design its own approach, and the cities will meet every quarter to share what they learn.\n\n## The grant recipients\n\n- **Dayton, OH**, expanding home visits by community health workers.\n- **Durham, NC**, connecting expectant mothers with doulas through the city's health clinics.\n- **Providence, RI**, building a warm hand-off between prenatal care and housing assistance.\n\nThank you to every city that applied. The applications themselves are a library of good ideas, and we will share them with all members.",
    },
    DemoPost {
        title: "Ending Police Brutality: A Mayor's Perspective & Call to Action",
        topics: &["Public Safety", "Racial Equity"],
        guest: "Guest post by Mayor Jamie Harkins, Lafayette, CO",
        members_only: false,
        days_ago: 17,
        colors: ([40, 40, 70], [110, 110, 160]),
        alt: "Silhouettes of many people standing together under an evening sky",
        body: "As mayors, we are responsible for the safety of every resident, and for the conduct of the people we ask to keep them safe.\n\nThe killing of George Floyd asked each of us a direct question: what will you change in your own city? In Lafayette, we began by listening. We held sessions in every neighborhood and asked residents what safety meant to them.\n\n## What I am asking of my fellow mayors\n\n- **Publish your use-of-force policies** and the data on how they are applied.\n- **Send trained responders**, not only police, to mental health and homelessness calls.\n- **Give residents a real voice** in oversight, with the independence to use it.\n\nNone of us can do this alone. This network exists so that a mayor in a city of 30,000 can learn from one in a city of 300,000, and the other way around. Let us use it.",
    },
    DemoPost {
        title: "City Leadership in Addressing Racial Inequities",
        topics: &["Racial Equity", "Economic Opportunity"],
        guest: "",
        members_only: false,
        days_ago: 24,
        colors: ([120, 80, 30], [230, 190, 90]),
        alt: "Golden rays spreading across a map of city blocks",
        body: "Racial inequities in our cities were built by policy, and policy can help undo them.\n\nOur Racial Equity cohort brought together mayors and their advisors for a year of work on budgets, hiring, contracting and land use. Their conclusion: equity is not a program, it is a way of making every decision.\n\n## Tools the cohort produced\n\n- A **budget equity checklist** used in six member cities this year.\n- Model language for **contracting goals** that survive legal review.\n- A guide to **community engagement** that pays residents for their time and expertise.\n\nMember cities can join the next cohort this spring.",
    },
    DemoPost {
        title: "Cohort Notes: Small Cities, Big Broadband Ambitions",
        topics: &["Data & Technology", "Economic Opportunity"],
        guest: "",
        members_only: true,
        days_ago: 30,
        colors: ([30, 110, 90], [140, 200, 150]),
        alt: "Thin green lines connecting houses across rolling hills",
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
        for (role, who, email, password) in &self.logins {
            let _ = writeln!(s, "  {role:<8} {who:<38} {email:<40} {password}");
        }
        s
    }
}

/// Fills an empty database; refuses one that has cities or posts already.
pub async fn run(state: &AppState, extra_posts: usize) -> Result<Report, String> {
    let db = |e: sqlx::Error| e.to_string();
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
    let now = state.clock.now();
    let mut logins = Vec::new();
    let mut person = async |name: &str,
                            title: &str,
                            role: &str,
                            city: Option<(i64, &str)>,
                            domain: &str|
           -> Result<i64, String> {
        let email = email_for(name, domain);
        let pw = passphrase();
        let hash = password::hash(state, &pw)
            .await
            .map_err(|e| e.to_string())?;
        let mut conn = state.pool.acquire().await.map_err(db)?;
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
                now,
            },
        )
        .await
        .map_err(db)?;
        let who = match city {
            Some((_, label)) => format!("{name} ({label})"),
            None => name.to_owned(),
        };
        logins.push((role.to_owned(), who, email, pw));
        Ok(id)
    };
    let staff_id = person(
        "Alex Rivera",
        "Program Director",
        "staff",
        None,
        "mayorsinnovation.example.org",
    )
    .await?;
    person(
        "Robin Chen",
        "Network Coordinator",
        "staff",
        None,
        "mayorsinnovation.example.org",
    )
    .await?;
    for (i, c) in CITIES.iter().enumerate() {
        let city_id: i64 = sqlx::query_scalar(
            "INSERT INTO cities (name, state, population, website, status, member_since, renewal_date, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(c.name)
        .bind(c.state)
        .bind(c.population)
        .bind(c.website)
        .bind(c.status)
        .bind(format!("{}-0{}-01", 2012 + i % 10, 1 + i % 9))
        .bind(format!("2027-0{}-01", 1 + i % 9))
        .bind(now)
        .fetch_one(&state.pool)
        .await
        .map_err(db)?;
        let label = format!("{}, {}", c.name, c.state);
        let domain = format!("{}.example.gov", slug::slugify(c.name).replace('-', ""));
        person(c.mayor, "Mayor", "mayor", Some((city_id, &label)), &domain).await?;
        for (name, title) in c.advisors {
            person(name, title, "advisor", Some((city_id, &label)), &domain).await?;
        }
    }
    let mut topic_ids = Vec::new();
    for t in TOPICS {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO topics (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(slug::slugify(t))
        .bind(*t)
        .bind(now)
        .fetch_one(&state.pool)
        .await
        .map_err(db)?;
        topic_ids.push((*t, id));
    }
    for (i, p) in POSTS.iter().enumerate() {
        let png = cover_png(p.colors.0, p.colors.1, i as u32 + 1);
        let image = images::save(state, &format!("{}.png", slug::slugify(p.title)), &png)
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let topics: Vec<i64> = p
            .topics
            .iter()
            .filter_map(|t| topic_ids.iter().find(|(n, _)| n == t).map(|(_, id)| *id))
            .collect();
        insert_post(
            state,
            p.title,
            p.body,
            &topics,
            p.guest,
            p.members_only,
            Some((image, p.alt)),
            now - p.days_ago * 86_400 - 3600 * i as i64,
            staff_id,
        )
        .await?;
    }
    for n in 0..extra_posts {
        let title = format!(
            "Network Notes No. {}: What Member Cities Tried This Week",
            n + 1
        );
        let body = format!(
            "Notes number {} from the network. Mayors compared approaches to {} and shared what worked in cities large and small.\n\nMember cities traded budgets, timelines and lessons learned.",
            n + 1,
            TOPICS[n % TOPICS.len()].to_lowercase()
        );
        let topics = [topic_ids[n % topic_ids.len()].1];
        insert_post(
            state,
            &title,
            &body,
            &topics,
            "",
            false,
            None,
            now - 40 * 86_400 - n as i64 * 1800,
            staff_id,
        )
        .await?;
    }
    let testimonial = crate::site::TestimonialForm {
        quote: "The Mayors Innovation Project is the best place to get new ideas and make some truly useful connections.".to_owned(),
        name: "Mayor Jamie Harkins".to_owned(),
        title: String::new(),
        city: "Lafayette, CO".to_owned(),
        active: "1".to_owned(),
    };
    crate::site::add(&state.pool, &testimonial, now)
        .await
        .map_err(db)?;
    crate::site::set_setting(
        &state.pool,
        "home.heading",
        "A learning network for mayors.",
    )
    .await
    .map_err(db)?;
    crate::site::set_setting(&state.pool, "home.body", crate::site::DEFAULT_BODY)
        .await
        .map_err(db)?;
    Ok(Report {
        logins,
        cities: CITIES.len(),
        posts: POSTS.len() + extra_posts,
    })
}

#[allow(clippy::too_many_arguments)]
async fn insert_post(
    state: &AppState,
    title: &str,
    body: &str,
    topics: &[i64],
    guest: &str,
    members_only: bool,
    cover: Option<(i64, &str)>,
    publish_at: i64,
    author: i64,
) -> Result<i64, String> {
    let db = |e: sqlx::Error| e.to_string();
    let (html, text) = markdown::render(body);
    let excerpt = if members_only {
        "Notes from the cohort, for member cities.".to_owned()
    } else {
        markdown::shorten(&text, 200)
    };
    let mut slug_text = slug::slugify(title);
    if slug_text.is_empty() {
        slug_text = tokens::generate()[..8].to_owned();
    }
    let mut tx = state.begin_write().await.map_err(db)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO posts (slug, title, excerpt, body_md, body_html, body_text, status, publish_at, members_only, author_id, \
           guest_byline, cover_image_id, cover_alt, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'published', $7, $8, $9, $10, $11, $12, $7, $7) RETURNING id",
    )
    .bind(&slug_text)
    .bind(title)
    .bind(&excerpt)
    .bind(body)
    .bind(&html)
    .bind(&text)
    .bind(publish_at)
    .bind(i64::from(members_only))
    .bind(author)
    .bind(guest)
    .bind(cover.map(|c| c.0))
    .bind(cover.map(|c| c.1).unwrap_or_default())
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    for t in topics {
        sqlx::query("INSERT INTO post_topics (post_id, topic_id, status, publish_at) VALUES ($1, $2, 'published', $3)")
            .bind(id)
            .bind(t)
            .bind(publish_at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    search::index(&mut tx, state.backend, id, title, &text)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(id)
}
