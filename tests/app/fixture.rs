//! The one network of people the suite's tests stand on, built over HTTP as people would:
//! staff; a first city, Lafayette, CO, with its mayor and advisors; a second city, Madison,
//! WI, with its mayor; a third, Dubuque, IA, whose mayor joined a cohort before the city's
//! membership lapsed; and the open cohort "Water Affordability", facilitated by the first
//! city's mayor. Cohorts of the other two policies, and the people only some tests need,
//! are added on demand, so that no test pays for more than it uses; tests about people and
//! invitations take only the network's first part, [`Cities`].

use std::ops::Deref;

use crate::support::{Page, TestApp, Visitor};

/// The open, visible cohort every network has.
pub const SLUG: &str = "water-affordability";
/// The cohort joined by request, made by [`Fixture::request_cohort`].
pub const REQUEST_SLUG: &str = "data-leaders";
/// The hidden, invitation-only cohort, made by [`Fixture::invitation_cohort`].
pub const INVITE_SLUG: &str = "quiet-circle";

/// The network's first part: staff, and the first two cities with their mayors and the
/// first city's advisor, each logged in on a browser of their own.
pub struct Cities {
    /// Grace Staff.
    pub staff: Visitor,
    /// Mayor A (mayor@a.gov), the mayor of the first city, who facilitates the cohort (in
    /// the whole network).
    pub facilitator: Visitor,
    /// Advisor A (advisor@a.gov), of the first city, a member of the cohort.
    pub member: Visitor,
    /// Mayor B (mayor@b.gov), of the second city, never in the cohort.
    pub other_city: Visitor,
    /// Lafayette, CO.
    pub city_a: i64,
    /// Madison, WI.
    pub city_b: i64,
}

impl Cities {
    pub async fn new(app: &TestApp) -> Cities {
        let staff = app.staff_visitor().await;
        let a = app.insert_city("Lafayette", "CO", "active").await;
        let b = app.insert_city("Madison", "WI", "active").await;
        let facilitator = app
            .invite_and_accept(&staff, "mayor@a.gov", "Mayor A", "mayor", a)
            .await;
        let member = app
            .invite_and_accept(&staff, "advisor@a.gov", "Advisor A", "advisor", a)
            .await;
        let other_city = app
            .invite_and_accept(&staff, "mayor@b.gov", "Mayor B", "mayor", b)
            .await;
        Cities {
            staff,
            facilitator,
            member,
            other_city,
            city_a: a,
            city_b: b,
        }
    }
}

/// The whole network: [`Cities`] (whose people it gives as its own), the first city's other
/// advisors, a third city that lapsed, and the cohort.
pub struct Fixture {
    cities: Cities,
    /// Colleague A (colleague@a.gov), of the first city, in the cohort.
    pub colleague: Visitor,
    /// Mayor C (mayor@c.gov), in the cohort since before the third city lapsed.
    pub lapsed: Visitor,
    planner: Option<Visitor>,
    outsider: Option<Visitor>,
    /// Dubuque, IA: lapsed (unless built with [`Builder::lapse_later`]).
    pub lapsed_city: i64,
}

impl Deref for Fixture {
    type Target = Cities;

    fn deref(&self) -> &Cities {
        &self.cities
    }
}

/// What a network is built with beyond its core.
pub struct Builder<'a> {
    app: &'a TestApp,
    planner: bool,
    outsider: bool,
    lapse: bool,
}

impl Builder<'_> {
    /// Adds Planner A (planner@a.gov), a third advisor of the first city, in the cohort.
    pub fn planner(mut self) -> Self {
        self.planner = true;
        self
    }

    /// Adds Outsider A (outsider@a.gov), an advisor of the first city not in the cohort.
    pub fn outsider(mut self) -> Self {
        self.outsider = true;
        self
    }

    /// Leaves the third city active, for tests that see it lapse ([`Fixture::lapse`]).
    pub fn lapse_later(mut self) -> Self {
        self.lapse = false;
        self
    }

    pub async fn build(self) -> Fixture {
        let app = self.app;
        let cities = Cities::new(app).await;
        let (staff, a) = (&cities.staff, cities.city_a);
        let c = app.insert_city("Dubuque", "IA", "active").await;
        let colleague = app
            .invite_and_accept(staff, "colleague@a.gov", "Colleague A", "advisor", a)
            .await;
        let planner = match self.planner {
            true => Some(
                app.invite_and_accept(staff, "planner@a.gov", "Planner A", "advisor", a)
                    .await,
            ),
            false => None,
        };
        let outsider = match self.outsider {
            true => Some(
                app.invite_and_accept(staff, "outsider@a.gov", "Outsider A", "advisor", a)
                    .await,
            ),
            false => None,
        };
        let lapsed = app
            .invite_and_accept(staff, "mayor@c.gov", "Mayor C", "mayor", c)
            .await;
        let page = create_cohort(
            staff,
            "Water Affordability",
            &[
                ("join_policy", "open"),
                ("visible", "1"),
                ("facilitators", "mayor@a.gov"),
                ("description", "Keeping water **affordable**."),
            ],
        )
        .await;
        assert_eq!(
            page.path(),
            "/staff/cohorts",
            "{:?}",
            page.texts(".error-summary li")
        );
        add(staff, SLUG, "advisor@a.gov").await;
        add(staff, SLUG, "colleague@a.gov").await;
        if self.planner {
            add(staff, SLUG, "planner@a.gov").await;
        }
        add(staff, SLUG, "mayor@c.gov").await;
        if self.lapse {
            set_city(app, c, "lapsed").await;
        }
        // What comes next is newer than every joining: posted in the second one joins is
        // not new to them.
        app.state.clock.advance(60);
        Fixture {
            cities,
            colleague,
            lapsed,
            planner,
            outsider,
            lapsed_city: c,
        }
    }
}

impl Fixture {
    /// The core network.
    pub async fn new(app: &TestApp) -> Fixture {
        Fixture::with(app).build().await
    }

    /// The core network and what the builder adds.
    pub fn with(app: &TestApp) -> Builder<'_> {
        Builder {
            app,
            planner: false,
            outsider: false,
            lapse: true,
        }
    }

    /// Planner A; the network must be built with [`Builder::planner`].
    pub fn planner(&self) -> &Visitor {
        self.planner
            .as_ref()
            .expect("build the fixture with .planner()")
    }

    /// Outsider A; the network must be built with [`Builder::outsider`].
    pub fn outsider(&self) -> &Visitor {
        self.outsider
            .as_ref()
            .expect("build the fixture with .outsider()")
    }

    /// The third city's membership lapses (again).
    pub async fn lapse(&self, app: &TestApp) {
        set_city(app, self.lapsed_city, "lapsed").await;
    }

    /// "Data Leaders": joined by request, visible, facilitated by Mayor A, with nobody in it.
    pub async fn request_cohort(&self) -> &'static str {
        let page = create_cohort(
            &self.staff,
            "Data Leaders",
            &[
                ("join_policy", "request"),
                ("visible", "1"),
                ("facilitators", "mayor@a.gov"),
            ],
        )
        .await;
        assert_eq!(page.path(), "/staff/cohorts");
        REQUEST_SLUG
    }

    /// "Quiet Circle": by invitation only, hidden, facilitated by Mayor A, with nobody in it.
    pub async fn invitation_cohort(&self) -> &'static str {
        let page = create_cohort(
            &self.staff,
            "Quiet Circle",
            &[("join_policy", "invite"), ("facilitators", "mayor@a.gov")],
        )
        .await;
        assert_eq!(page.path(), "/staff/cohorts");
        INVITE_SLUG
    }
}

/// Sends the staff's new-cohort form (active, with `fields` besides); the page it ends on.
pub async fn create_cohort(staff: &Visitor, name: &str, fields: &[(&str, &str)]) -> Page {
    let mut form = vec![("name", name), ("status", "active")];
    form.extend_from_slice(fields);
    Page::of(staff.post_form("/staff/cohorts", &form).await).await
}

/// Adds the person with this email to the cohort, as staff.
pub async fn add(staff: &Visitor, slug: &str, email: &str) {
    let page = Page::of(
        staff
            .post_form(&format!("/cohorts/{slug}/members"), &[("email", email)])
            .await,
    )
    .await;
    assert_eq!(
        page.texts(".error-summary li"),
        Vec::<String>::new(),
        "{email} was not added"
    );
}

/// Sets a city's membership status (`active`, `lapsed`) in the database.
pub async fn set_city(app: &TestApp, city: i64, status: &str) {
    sqlx::query("UPDATE cities SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(city)
        .execute(&app.state.pool)
        .await
        .unwrap();
}
