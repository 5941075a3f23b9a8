//! The demo's annual meetings: the next one, in Lafayette, CO (Mountain time, a zone other
//! than the organization's), open for registration, with an agenda, three types, questions,
//! registrations from several cities and the advisors' type full with people waiting; and
//! last year's, past, with who came.

use super::{Seed, db};
use crate::{
    meetings::{
        self, MeetingStatus, QuestionKind,
        manage::{self, Input, NewItem},
        register::{self, NewRegistration, Registrant},
    },
    policy::TypeFor,
    time::Zone,
};

const DAY: i64 = 86_400;

/// Mayors registered for the coming meeting (Tomás Aragon, the demo's mayor who tries
/// registering an advisor, is left unregistered).
const MAYORS: &[&str] = &[
    "Jamie Harkins",
    "Dana Whitfield",
    "Samuel Okafor",
    "Rosa Yazzie",
];
/// Advisors for the coming meeting: the first three fill the type, the others wait.
const ADVISORS: &[&str] = &[
    "Morgan Ellis",
    "Grace Kim",
    "Hannah Brooks",
    "Keisha Morgan",
    "Priya Natarajan",
];

impl Seed<'_> {
    /// The coming meeting and last year's.
    pub(super) async fn meetings(&self) -> Result<(), String> {
        self.coming_meeting().await?;
        self.last_meeting().await
    }

    /// 9:00 on the day `days` from now, in Denver.
    fn denver(&self, days: i64, hour: i64) -> i64 {
        let zone = Zone::parse("America/Denver").expect("the bundled database knows Denver");
        let date = zone.iso_date(self.now + days * DAY);
        zone.parse_local(&format!("{date}T{hour:02}:00"))
            .unwrap_or(self.now + days * DAY)
    }

    fn meeting(&self, title: &str, slug: &str, in_days: i64, status: MeetingStatus) -> Input {
        let description = "Three days among peers: what member cities tried this year on housing, climate and budgets, site visits in the host city, and time to plan the year ahead with the mayors who face the same questions.";
        Input {
            title: title.to_owned(),
            slug: slug.to_owned(),
            host_city: "Lafayette, CO".to_owned(),
            venue: "Lafayette Event Center".to_owned(),
            venue_address: "1000 S Public Rd, Lafayette, CO 80026".to_owned(),
            time_zone: "America/Denver".to_owned(),
            starts_at: self.denver(in_days, 9),
            ends_at: self.denver(in_days + 2, 16),
            opens_at: self.denver(in_days - 90, 8),
            closes_at: self.denver(in_days - 14, 23),
            capacity: Some(60),
            status,
            description: description.to_owned(),
            description_html: crate::text::markdown::Rendered::now(description).html,
        }
    }

    async fn coming_meeting(&self) -> Result<(), String> {
        let input = self.meeting(
            "Annual Meeting 2027",
            "annual-meeting-2027",
            75,
            MeetingStatus::Open,
        );
        let mut tx = self.state.begin_write().await.map_err(db)?;
        let id = manage::insert(&mut tx, &input, self.now - 20 * DAY)
            .await
            .map_err(db)?;
        manage::insert_type(&mut tx, id, "Mayor", None, TypeFor::Mayors, "$350")
            .await
            .map_err(db)?;
        manage::insert_type(&mut tx, id, "Advisor", Some(3), TypeFor::Advisors, "$250")
            .await
            .map_err(db)?;
        manage::insert_type(&mut tx, id, "Guest", None, TypeFor::Staff, "Free")
            .await
            .map_err(db)?;
        self.questions_and_agenda(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        let people: Vec<(&str, &str)> = MAYORS
            .iter()
            .map(|m| (*m, "Mayor"))
            .chain(ADVISORS.iter().map(|a| (*a, "Advisor")))
            .collect();
        self.register_all("annual-meeting-2027", &people).await?;
        Ok(())
    }

    /// The coming meeting's questions and agenda.
    async fn questions_and_agenda(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
    ) -> Result<(), String> {
        let tx = &mut *tx;
        manage::insert_question(tx, id, QuestionKind::Text, "Dietary needs", "", false)
            .await
            .map_err(db)?;
        manage::insert_question(
            tx,
            id,
            QuestionKind::Choices,
            "Workshops you plan to attend",
            "Housing\nClimate resilience\nBudgets",
            false,
        )
        .await
        .map_err(db)?;
        manage::insert_question(
            tx,
            id,
            QuestionKind::YesNo,
            "Do you need accessibility help at the venue?",
            "",
            true,
        )
        .await
        .map_err(db)?;
        let items = [
            (
                "Welcome and opening plenary",
                75,
                9,
                10,
                "Main hall",
                "Mayor Jamie Harkins",
            ),
            (
                "Housing: what worked this year",
                75,
                10,
                12,
                "Room A",
                "Priya Natarajan, Samuel Okafor",
            ),
            (
                "Site visit: Lafayette's net-zero library",
                76,
                13,
                16,
                "Bus from the main entrance",
                "",
            ),
            (
                "Planning the year ahead",
                77,
                9,
                12,
                "Main hall",
                "Alex Rivera",
            ),
        ];
        for (title, day, from, to, room, speakers) in items {
            let item = NewItem {
                title,
                starts_at: self.denver(day, from),
                ends_at: self.denver(day, to),
                room,
                speakers,
                note: "",
            };
            manage::insert_item(tx, id, &item).await.map_err(db)?;
        }
        Ok(())
    }

    async fn last_meeting(&self) -> Result<(), String> {
        let input = self.meeting(
            "Annual Meeting 2026",
            "annual-meeting-2026",
            -290,
            MeetingStatus::Past,
        );
        let mut tx = self.state.begin_write().await.map_err(db)?;
        let id = manage::insert(&mut tx, &input, self.now - 400 * DAY)
            .await
            .map_err(db)?;
        manage::insert_type(&mut tx, id, "Member", None, TypeFor::Members, "$250")
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        let people: Vec<(&str, &str)> = [
            "Jamie Harkins",
            "Elena Vasquez",
            "Tomás Aragon",
            "Nina Begay",
            "Marcus Bell",
        ]
        .iter()
        .map(|n| (*n, "Member"))
        .collect();
        self.register_all("annual-meeting-2026", &people).await?;
        // Everyone came.
        sqlx::query("UPDATE meeting_registrations SET checked_in_at = $1, payment = 'paid' WHERE meeting_id = $2")
            .bind(input.starts_at - 1800)
            .bind(id)
            .execute(&self.state.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// Registers each (person, type name) as staff would, in order, without emails.
    async fn register_all(&self, slug: &str, people: &[(&str, &str)]) -> Result<(), String> {
        let staff = self.person_named("Robin Chen").await?;
        let mut conn = self.state.pool.acquire().await.map_err(db)?;
        let meeting = meetings::by_slug(&mut conn, slug)
            .await
            .map_err(db)?
            .ok_or("the demo meeting is missing")?;
        let types = meetings::types(&mut conn, meeting.id).await.map_err(db)?;
        drop(conn);
        for (name, type_name) in people {
            let person = self.person_named(name).await?;
            let t = types
                .iter()
                .find(|t| t.name == *type_name)
                .ok_or("the demo type is missing")?;
            let registrant = Registrant::Person(person);
            let new = NewRegistration {
                registrant: &registrant,
                t,
                asked: &[],
                listed: true,
                tell: false,
            };
            register::store(self.state, &staff, &meeting, new)
                .await
                .map_err(|e| format!("{e:?}"))?;
        }
        Ok(())
    }
}
