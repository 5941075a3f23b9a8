//! Time at the edges: instants are stored as Unix seconds in UTC; people read them in their
//! own IANA time zone, with its abbreviation, and enter them in their own zone. Built on
//! `jiff` with its bundled time-zone database, so every instance answers the same.

use jiff::{
    Timestamp,
    civil::DateTime,
    tz::{AmbiguousOffset, TimeZone},
};

/// The zone used when neither a person nor their city chose one: the organization's home.
pub const DEFAULT_ZONE: &str = "America/Chicago";

/// Zones offered first in choices, in the order people in member cities look for them.
pub const COMMON_ZONES: [(&str, &str); 8] = [
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Mountain, no daylight saving (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
];

/// The site's one way of writing a date: "27 November 2026". Every date a person reads (pages
/// and emails) is written with it, through `Zone::date` or `long_date`.
pub const DATE_FORMAT: &str = "%-d %B %Y";
/// The site's one way of writing a time of day, with the zone's abbreviation: "8:14 AM CST".
/// An instant is its date and its time of day: "27 November 2026, 8:14 AM CST" (`Zone::time`).
pub const CLOCK_FORMAT: &str = "%-I:%M %p %Z";

/// A time zone known by its IANA name.
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// The zone of an IANA name ("America/Chicago"); a name the database does not know is
    /// refused, never replaced.
    pub fn parse(name: &str) -> Result<Zone, String> {
        let name = name.trim();
        if name.is_empty() || name.len() > 64 {
            return Err("Choose a time zone.".to_owned());
        }
        match TimeZone::get(name) {
            Ok(tz) => Ok(Zone {
                name: tz.iana_name().unwrap_or(name).to_owned(),
                tz,
            }),
            Err(_) => Err(format!("“{name}” is not a time zone we know.")),
        }
    }

    /// The zone of a stored name, falling back to the default zone when the stored name is
    /// empty (a person who never chose). An unknown stored name falls back too, and is logged.
    pub fn of_stored(name: Option<&str>) -> Zone {
        match name.filter(|n| !n.trim().is_empty()) {
            Some(n) => Zone::parse(n).unwrap_or_else(|_| {
                tracing::warn!(zone = n, "stored time zone is unknown; using the default");
                Zone::default()
            }),
            None => Zone::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone as people say it, from its abbreviation at `t`: "Eastern time", "Central
    /// time"…; the IANA name where it has no common name.
    pub fn spoken(&self, t: i64) -> String {
        let said = match self.abbreviation(t).as_str() {
            "EST" | "EDT" => "Eastern time",
            "CST" | "CDT" => "Central time",
            "MST" | "MDT" => "Mountain time",
            "PST" | "PDT" => "Pacific time",
            "AKST" | "AKDT" => "Alaska time",
            "HST" | "HDT" => "Hawaii time",
            "AST" | "ADT" => "Atlantic time",
            "ChST" => "Chamorro time",
            "SST" => "Samoa time",
            _ => return self.name.clone(),
        };
        said.to_owned()
    }

    /// "27 November 2026, 8:14 AM CST": the date and the time of day, in the site's formats.
    pub fn time(&self, t: i64) -> String {
        format!("{}, {}", self.date(t), self.clock(t))
    }

    /// "27 November 2026"
    pub fn date(&self, t: i64) -> String {
        self.format(t, DATE_FORMAT)
    }

    /// The date in this zone as ISO 8601, for `<time datetime>` and date fields: "2026-11-27".
    pub fn iso_date(&self, t: i64) -> String {
        self.format(t, "%Y-%m-%d")
    }

    /// "8:14 AM CST"
    pub fn clock(&self, t: i64) -> String {
        self.format(t, CLOCK_FORMAT)
    }

    /// The abbreviation in force at an instant: "CST", "CDT".
    pub fn abbreviation(&self, t: i64) -> String {
        self.format(t, "%Z")
    }

    /// The value of a `datetime-local` field for an instant: "2026-11-27T08:14".
    pub fn field_value(&self, t: i64) -> String {
        self.format(t, "%Y-%m-%dT%H:%M")
    }

    /// The instant `days` business days (Monday to Friday, in this zone) after `t`: the same
    /// time of day that many weekdays later. An instant on a weekend counts from the start of
    /// the Monday after it. Friday 3 PM plus two business days is Tuesday 3 PM.
    pub fn add_business_days(&self, t: i64, days: i64) -> i64 {
        use jiff::civil::Weekday;
        let Ok(ts) = Timestamp::from_second(t) else {
            return t;
        };
        let mut at = ts.to_zoned_datetime(self.tz.clone());
        let weekend =
            |z: &jiff::ZonedDateTime| matches!(z.weekday(), Weekday::Saturday | Weekday::Sunday);
        if weekend(&at) {
            while weekend(&at) {
                at = match at.tomorrow() {
                    Ok(next) => next,
                    Err(_) => return t,
                };
            }
            at = at.start_of_day().unwrap_or(at);
        }
        let mut left = days;
        while left > 0 {
            at = match at.checked_add(jiff::Span::new().days(1)) {
                Ok(next) => next,
                Err(_) => return t,
            };
            if !weekend(&at) {
                left -= 1;
            }
        }
        at.timestamp().as_second()
    }

    fn format(&self, t: i64, pattern: &str) -> String {
        match Timestamp::from_second(t) {
            Ok(ts) => ts
                .to_zoned_datetime(self.tz.clone())
                .strftime(pattern)
                .to_string(),
            Err(_) => String::new(),
        }
    }

    /// The instant of a wall-clock time entered in this zone ("2026-03-08T02:30" from a
    /// `datetime-local` field). A time that does not exist here (skipped by daylight saving)
    /// is refused with a message; a time that happens twice is the first one.
    pub fn parse_local(&self, input: &str) -> Result<i64, String> {
        let input = input.trim();
        let dt: DateTime = input
            .parse()
            .map_err(|_| "Enter a date and time, for example 2026-03-14 at 09:30.".to_owned())?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&dt.year()) {
            return Err(format!("Enter a year between {MIN_YEAR} and {MAX_YEAR}."));
        }
        let ambiguous = self.tz.to_ambiguous_zoned_datetime(dt);
        match ambiguous.offset() {
            AmbiguousOffset::Gap { .. } => Err(format!(
                "{} on {} does not exist in {}: the clocks skip that hour for daylight saving. Choose another time.",
                dt.strftime("%-I:%M %p"),
                dt.date().strftime(DATE_FORMAT),
                self.name
            )),
            _ => ambiguous
                .compatible()
                .map(|z| z.timestamp().as_second())
                .map_err(|_| "Enter a date and time, for example 2026-03-14 at 09:30.".to_owned()),
        }
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::parse(DEFAULT_ZONE).expect("the bundled database knows the default zone")
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// "14 January 2027, 10:00 AM EST – 11:00 AM EST": a span in one zone, the end's date written
/// only when it is another day.
pub fn span(zone: &Zone, starts: i64, ends: i64) -> String {
    if zone.iso_date(starts) == zone.iso_date(ends) {
        format!("{} – {}", zone.time(starts), zone.clock(ends))
    } else {
        format!("{} – {}", zone.time(starts), zone.time(ends))
    }
}

/// The span in the event's own zone, for a reader in another: "9:00 AM CST – 10:00 AM CST
/// in America/Chicago" (with the date when it is another day there); `None` in the same zone.
pub fn own_span(reader: &Zone, own: &Zone, starts: i64, ends: i64) -> Option<String> {
    if reader == own {
        return None;
    }
    let text = if reader.iso_date(starts) == own.iso_date(starts)
        && own.iso_date(starts) == own.iso_date(ends)
    {
        format!("{} – {}", own.clock(starts), own.clock(ends))
    } else {
        span(own, starts, ends)
    };
    Some(format!("{text} in {}", own.name()))
}

/// The time zone of a US state or territory that lies in one zone (almost all of it), by
/// its postal code; `None` for the states that span several (Florida, Indiana, Kentucky,
/// Michigan, Tennessee, Texas, the Dakotas, Nebraska, Kansas, Oregon, Idaho, Alaska), whose
/// cities' zones are asked for, and for codes it does not know.
pub fn zone_of_state(code: &str) -> Option<&'static str> {
    let zone = match code {
        "CT" | "DE" | "DC" | "GA" | "ME" | "MD" | "MA" | "NH" | "NJ" | "NY" | "NC" | "OH"
        | "PA" | "RI" | "SC" | "VT" | "VA" | "WV" => "America/New_York",
        "AL" | "AR" | "IL" | "IA" | "LA" | "MN" | "MS" | "MO" | "OK" | "WI" => "America/Chicago",
        "CO" | "MT" | "NM" | "UT" | "WY" => "America/Denver",
        "AZ" => "America/Phoenix",
        "CA" | "NV" | "WA" => "America/Los_Angeles",
        "HI" => "Pacific/Honolulu",
        "PR" | "VI" => "America/Puerto_Rico",
        "GU" | "MP" => "Pacific/Guam",
        "AS" => "Pacific/Pago_Pago",
        _ => return None,
    };
    Some(zone)
}

/// An instant's date in UTC as ISO 8601 ("2026-11-27"): sitemaps, and dates that belong to
/// no reader (a city's `member_since`).
pub fn utc_date(t: i64) -> String {
    utc(t, "%Y-%m-%d")
}

/// An instant in UTC as RFC 3339 ("2026-11-27T14:14:00Z"): feeds, and `<time datetime>`.
pub fn rfc3339(t: i64) -> String {
    utc(t, "%Y-%m-%dT%H:%M:%SZ")
}

/// The one UTC formatter: every instant written for machines goes through it.
pub fn utc(t: i64, pattern: &str) -> String {
    Timestamp::from_second(t)
        .map(|ts| ts.strftime(pattern).to_string())
        .unwrap_or_default()
}

/// A calendar date typed as ISO 8601 ("2024-01-31"), with its year; `None` when it is not
/// one. A date whose year no calendar here holds ("-9999-01-01") comes back with that year
/// as typed, so that the form can say which years it takes.
pub fn parse_date(input: &str) -> Option<(i32, String)> {
    match input.trim().parse::<jiff::civil::Date>() {
        Ok(d) => Some((i32::from(d.year()), d.strftime("%Y-%m-%d").to_string())),
        Err(_) => typed_year(input).map(|y| (y, input.trim().to_owned())),
    }
}

/// A wall-clock date and time typed as `YYYY-MM-DDTHH:MM` (seconds allowed and dropped),
/// with its year, written back to the minute; `None` when it is not one (a year out of the
/// calendar's reach comes back as typed, as for [`parse_date`]).
pub fn parse_wall_clock(input: &str) -> Option<(i32, String)> {
    match input.trim().parse::<DateTime>() {
        Ok(dt) => Some((
            i32::from(dt.year()),
            dt.strftime("%Y-%m-%dT%H:%M").to_string(),
        )),
        Err(_) => typed_year(input).map(|y| (y, input.trim().to_owned())),
    }
}

/// The year of something shaped like a date ("-9999-01-01", "99999-12-31T09:00") whose
/// year is outside 0 to 9999, which the calendar cannot hold.
fn typed_year(input: &str) -> Option<i32> {
    let s = input.trim();
    let (sign, rest) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let (digits, date) = rest.split_once('-')?;
    let shaped = date.len() >= 5
        && date.as_bytes()[2] == b'-'
        && date[..2].bytes().all(|b| b.is_ascii_digit())
        && date[3..5].bytes().all(|b| b.is_ascii_digit());
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || !shaped {
        return None;
    }
    let year = digits.parse::<i64>().map_or(i64::MAX, |y| y * sign);
    let year = i32::try_from(year).unwrap_or(if sign < 0 { i32::MIN } else { i32::MAX });
    (!(0..=9999).contains(&year)).then_some(year)
}

/// A calendar date stored as ISO 8601 ("2026-03-01", a city's renewal date, a cohort's start),
/// written as every date is: "1 March 2026"; what is not a date is shown as it is.
pub fn long_date(iso: &str) -> String {
    match iso.trim().parse::<jiff::civil::Date>() {
        Ok(d) => d.strftime(DATE_FORMAT).to_string(),
        Err(_) => iso.to_owned(),
    }
}

/// Years accepted in any entered date: wide enough for history and planning, narrow enough
/// that no arithmetic on them can overflow.
pub const MIN_YEAR: i16 = 1900;
pub const MAX_YEAR: i16 = 2200;

/// One option of a time-zone choice.
pub struct ZoneOption {
    pub name: String,
    pub label: String,
    pub selected: bool,
}

/// The options of a time-zone choice with `chosen` selected: the common zones, then every
/// other zone; the two groups of the one `zone_select` macro.
pub fn zone_options(chosen: &str) -> (Vec<ZoneOption>, Vec<ZoneOption>) {
    let option = |name: &str, label: &str| ZoneOption {
        name: name.to_owned(),
        label: label.to_owned(),
        selected: name == chosen,
    };
    let common = COMMON_ZONES.iter().map(|(n, l)| option(n, l)).collect();
    let others = all_zone_names()
        .into_iter()
        .filter(|n| !COMMON_ZONES.iter().any(|(c, _)| c == n))
        .map(|n| option(&n, &n))
        .collect();
    (common, others)
}

/// Every zone name the bundled database knows, sorted, for a choice after the common ones.
pub fn all_zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_owned())
        .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("SystemV/"))
        .collect();
    names.push("UTC".to_owned());
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_city_takes_its_states_zone_unless_the_state_spans_several() {
        assert_eq!(zone_of_state("RI"), Some("America/New_York"));
        assert_eq!(zone_of_state("CO"), Some("America/Denver"));
        assert_eq!(zone_of_state("AZ"), Some("America/Phoenix"));
        for several in [
            "FL", "IN", "KY", "MI", "TN", "TX", "ND", "SD", "NE", "KS", "OR", "ID", "AK",
        ] {
            assert_eq!(zone_of_state(several), None, "{several}");
        }
        assert_eq!(zone_of_state("XX"), None);
        for code in ["NY", "IL", "CA", "HI", "PR", "GU", "AS"] {
            assert!(Zone::parse(zone_of_state(code).unwrap()).is_ok(), "{code}");
        }
    }

    #[test]
    fn zones_are_named_as_people_say_them() {
        let winter = 1_767_225_600; // 1 January 2026
        let summer = winter + 180 * 86_400;
        let z = |n: &str| Zone::parse(n).unwrap();
        assert_eq!(z("America/New_York").spoken(winter), "Eastern time");
        assert_eq!(z("America/New_York").spoken(summer), "Eastern time");
        assert_eq!(
            z("America/Indiana/Indianapolis").spoken(winter),
            "Eastern time"
        );
        assert_eq!(z("America/Chicago").spoken(summer), "Central time");
        assert_eq!(z("America/Phoenix").spoken(summer), "Mountain time");
        assert_eq!(z("Europe/Paris").spoken(winter), "Europe/Paris");
    }

    #[test]
    fn instants_for_machines_are_written_in_utc_by_one_formatter() {
        // 2026-11-27 14:14:00 UTC
        let t = 1_795_788_840;
        assert_eq!(utc_date(t), "2026-11-27");
        assert_eq!(rfc3339(t), "2026-11-27T14:14:00Z");
        assert_eq!(utc(t, "%Y%m%dT%H%M%SZ"), "20261127T141400Z");
    }

    #[test]
    fn typed_dates_and_wall_clock_times_are_read_with_their_year() {
        assert_eq!(
            parse_date(" 2024-01-31 "),
            Some((2024, "2024-01-31".to_owned()))
        );
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("soon"), None);
        assert_eq!(
            parse_wall_clock("2026-12-01T09:00:59"),
            Some((2026, "2026-12-01T09:00".to_owned()))
        );
        assert_eq!(parse_wall_clock("0001-12-01T09:00").map(|p| p.0), Some(1));
        assert_eq!(parse_wall_clock("tomorrow"), None);
        // Years no calendar here holds come back as typed, for the message on years.
        assert_eq!(parse_date("-9999-01-01").map(|p| p.0), Some(-9999));
        assert_eq!(
            parse_wall_clock("99999-12-31T09:00").map(|p| p.0),
            Some(99999)
        );
        assert_eq!(parse_date("-12"), None);
    }

    use super::*;

    fn zone(name: &str) -> Zone {
        Zone::parse(name).unwrap()
    }

    #[test]
    fn business_days_skip_the_weekend_in_the_zone() {
        let z = zone("America/Chicago");
        // Friday 4 December 2026, 3:00 PM CST.
        let friday = z.parse_local("2026-12-04T15:00").unwrap();
        let due = z.add_business_days(friday, 2);
        assert_eq!(z.time(due), "8 December 2026, 3:00 PM CST");
        // Monday 10 AM: Wednesday 10 AM.
        let monday = z.parse_local("2026-12-07T10:00").unwrap();
        assert_eq!(
            z.time(z.add_business_days(monday, 2)),
            "9 December 2026, 10:00 AM CST"
        );
        // Saturday counts from Monday's start: due Wednesday at midnight.
        let saturday = z.parse_local("2026-12-05T11:00").unwrap();
        assert_eq!(
            z.time(z.add_business_days(saturday, 2)),
            "9 December 2026, 12:00 AM CST"
        );
        // Friday 11 PM in Chicago is Saturday in UTC: the zone decides.
        let late = z.parse_local("2026-12-04T23:00").unwrap();
        assert_eq!(
            z.time(z.add_business_days(late, 1)),
            "7 December 2026, 11:00 PM CST"
        );
    }

    #[test]
    fn instants_read_in_the_readers_zone_with_its_abbreviation() {
        // 2026-11-27 14:14:00 UTC
        let t = 1_795_788_840;
        assert_eq!(
            zone("America/Chicago").time(t),
            "27 November 2026, 8:14 AM CST"
        );
        assert_eq!(
            zone("America/New_York").time(t),
            "27 November 2026, 9:14 AM EST"
        );
        assert_eq!(zone("UTC").time(t), "27 November 2026, 2:14 PM UTC");
        assert_eq!(zone("Pacific/Honolulu").date(t), "27 November 2026");
    }

    #[test]
    fn every_date_is_written_one_way_whether_an_instant_or_a_calendar_date() {
        // 2026-03-05 15:00 UTC: a single-digit day, and a month written out.
        let t = 1_772_722_800;
        let chicago = zone("America/Chicago");
        assert_eq!(chicago.date(t), "5 March 2026");
        assert_eq!(chicago.time(t), "5 March 2026, 9:00 AM CST");
        assert_eq!(long_date("2026-03-05"), chicago.date(t));
        assert_eq!(long_date("2027-11-27"), "27 November 2027");
        // Not a date: shown as stored rather than lost.
        assert_eq!(long_date("someday"), "someday");
        // The parts of a time are the date and the clock, in that order.
        assert_eq!(
            chicago.time(t),
            format!("{}, {}", chicago.date(t), chicago.clock(t))
        );
    }

    #[test]
    fn daylight_saving_changes_the_offset_and_the_abbreviation() {
        let chicago = zone("America/Chicago");
        // 2026-07-01 17:00 UTC is noon in Chicago in summer.
        let summer = chicago.parse_local("2026-07-01T12:00").unwrap();
        assert_eq!(summer, 1_782_925_200);
        assert_eq!(chicago.clock(summer), "12:00 PM CDT");
        let winter = chicago.parse_local("2026-12-01T12:00").unwrap();
        assert_eq!(chicago.clock(winter), "12:00 PM CST");
        assert_eq!(winter - summer, (153 * 24 + 1) * 3600);
    }

    #[test]
    fn a_time_skipped_by_the_spring_change_is_refused_and_a_repeated_one_is_the_first() {
        let chicago = zone("America/Chicago");
        // 8 March 2026: 2:00 AM becomes 3:00 AM.
        let gap = chicago.parse_local("2026-03-08T02:30").unwrap_err();
        assert!(gap.contains("does not exist in America/Chicago"), "{gap}");
        // 1 November 2026: 1:30 AM happens twice; the first is CDT (UTC-5).
        let fold = chicago.parse_local("2026-11-01T01:30").unwrap();
        assert_eq!(chicago.clock(fold), "1:30 AM CDT");
        assert_eq!(chicago.clock(fold + 3600), "1:30 AM CST");
        // Phoenix keeps no daylight saving: the same wall time exists.
        assert!(
            zone("America/Phoenix")
                .parse_local("2026-03-08T02:30")
                .is_ok()
        );
    }

    #[test]
    fn entered_times_round_trip_through_the_field_value() {
        let denver = zone("America/Denver");
        let t = denver.parse_local("2027-01-15T09:05").unwrap();
        assert_eq!(denver.field_value(t), "2027-01-15T09:05");
    }

    #[test]
    fn unknown_zones_and_dates_out_of_range_are_refused() {
        assert!(Zone::parse("Mars/Olympus_Mons").is_err());
        assert!(Zone::parse("").is_err());
        assert!(Zone::of_stored(Some("Mars/Olympus_Mons")) == Zone::default());
        assert!(Zone::of_stored(None) == Zone::default());
        let z = zone("UTC");
        assert!(
            z.parse_local("0000-01-01T00:00")
                .unwrap_err()
                .contains("between 1900 and 2200")
        );
        assert!(z.parse_local("-009999-01-01T00:00").is_err());
        assert!(z.parse_local("not a date").is_err());
    }

    #[test]
    fn the_zone_list_holds_the_common_zones() {
        let all = all_zone_names();
        for (name, _) in COMMON_ZONES {
            assert!(all.iter().any(|n| n == name), "{name}");
        }
        assert!(all.len() > 300);
    }
}
