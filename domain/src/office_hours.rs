//! Office hours: when the team is usually there to answer. A visitor handed to a person outside
//! them is told when the team is back (the widget's waiting state), in their own time zone.
//!
//! Stored inside the organisation's settings as a time zone and one span per weekday, Monday
//! first: `"09:00-17:30"`, or empty for a closed day. No time zone means no office hours: the
//! team is treated as always there, as before this setting existed.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::{DomainError, DomainResult};

/// Weekday names for messages, Monday first.
pub const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// An organisation's weekly office hours.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OfficeHours {
    /// IANA time zone the hours are in ("Europe/Berlin"); empty = no office hours.
    pub time_zone: String,
    /// Monday first: `"09:00-17:30"` (close may be `24:00`), or empty for a closed day.
    pub days: [String; 7],
}

/// Whether the team is in, by the office hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Availability {
    /// Within today's hours.
    Open,
    /// Outside them; back at the next opening (none when every day is closed).
    Away { back_at: Option<DateTime<Utc>> },
}

impl OfficeHours {
    /// Validates and normalises office hours from a form or the API: a known IANA zone (or
    /// empty for none) and, per day, empty or `H:MM-H:MM` with the opening before the closing.
    pub fn parse(time_zone: &str, days: &[String; 7]) -> DomainResult<Self> {
        let time_zone = time_zone.trim().to_owned();
        if !time_zone.is_empty() && time_zone.parse::<Tz>().is_err() {
            return Err(DomainError::invalid(
                "office_hours",
                format!("\"{time_zone}\" is not a time zone; use a name such as Europe/Berlin or America/New_York"),
            ));
        }
        let mut out = Self { time_zone, days: Default::default() };
        for (i, day) in days.iter().enumerate() {
            let day = day.trim();
            if day.is_empty() {
                continue;
            }
            let (open, close) = span(day).ok_or_else(|| {
                DomainError::invalid(
                    "office_hours",
                    format!("{}: write the hours as 09:00-17:00, or leave the day empty when closed", WEEKDAYS[i]),
                )
            })?;
            if open >= close {
                return Err(DomainError::invalid(
                    "office_hours",
                    format!("{}: the team must open before it closes", WEEKDAYS[i]),
                ));
            }
            out.days[i] = format!("{}-{}", hhmm(open), hhmm(close));
        }
        if out.time_zone.is_empty() && out.days.iter().any(|d| !d.is_empty()) {
            return Err(DomainError::invalid("office_hours", "choose the time zone the hours are in"));
        }
        Ok(out)
    }

    /// Whether office hours are set at all.
    pub fn is_set(&self) -> bool {
        !self.time_zone.is_empty()
    }

    /// The team's availability at `now`; `None` without office hours.
    pub fn availability(&self, now: DateTime<Utc>) -> Option<Availability> {
        let tz: Tz = self.time_zone.parse().ok()?;
        let today = now.with_timezone(&tz).date_naive();
        // A day's hours end by its midnight, so today and the next seven days (next week's
        // same day included) hold the answer.
        for offset in 0..=7 {
            let date = today + Duration::days(offset);
            let Some((open, close)) = self.opening(tz, date) else { continue };
            if now < open {
                return Some(Availability::Away { back_at: Some(open) });
            }
            if now < close {
                return Some(Availability::Open);
            }
        }
        Some(Availability::Away { back_at: None })
    }

    /// The opening and closing instants of `date` (local to `tz`), if the team works that day.
    fn opening(&self, tz: Tz, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let (open, close) = span(&self.days[date.weekday().num_days_from_monday() as usize])?;
        let at = |minutes: u32| {
            let local = date.and_hms_opt(0, 0, 0)? + Duration::minutes(i64::from(minutes));
            // A time skipped by a DST change opens at the first instant after it.
            tz.from_local_datetime(&local)
                .earliest()
                .or_else(|| tz.from_local_datetime(&(local + Duration::hours(1))).earliest())
                .map(|t| t.with_timezone(&Utc))
        };
        Some((at(open)?, at(close)?))
    }
}

/// `"9:00-17:30"` → minutes after midnight of opening and closing (closing up to 24:00).
fn span(text: &str) -> Option<(u32, u32)> {
    let (open, close) = text.split_once(['-', '–'])?;
    Some((minutes(open)?, minutes(close)?))
}

fn minutes(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0)) && text.trim().len() <= 5).then_some(h * 60 + m)
}

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn week(days: [&str; 7]) -> [String; 7] {
        days.map(str::to_owned)
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("a time")
    }

    const WEEKDAYS_9_TO_5: [&str; 7] =
        ["9:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-16:00", "", ""];

    #[test]
    fn hours_are_normalised_and_bad_ones_refused() {
        let hours = OfficeHours::parse(" Europe/Berlin ", &week(WEEKDAYS_9_TO_5)).expect("valid hours");
        assert_eq!(hours.time_zone, "Europe/Berlin");
        assert_eq!(hours.days[0], "09:00-17:00");
        assert_eq!(hours.days[5], "");
        let err = |tz: &str, day: &str| {
            let mut days = week(WEEKDAYS_9_TO_5);
            days[2] = day.to_owned();
            OfficeHours::parse(tz, &days).expect_err("refused").to_string()
        };
        assert!(
            err("Mars/Olympus", "09:00-17:00").contains("not a time zone"),
            "{}",
            err("Mars/Olympus", "09:00-17:00")
        );
        assert!(err("Europe/Berlin", "17:00-09:00").contains("Wednesday"));
        assert!(err("Europe/Berlin", "9am-5pm").contains("09:00-17:00"));
        assert!(err("Europe/Berlin", "09:00-25:00").contains("Wednesday"));
        assert!(err("", "09:00-17:00").contains("time zone"));
        assert_eq!(OfficeHours::parse("", &Default::default()).expect("valid hours"), OfficeHours::default());
        assert_eq!(
            OfficeHours::parse("Europe/Berlin", &week(["00:00-24:00"; 7])).expect("valid hours").days[6],
            "00:00-24:00"
        );
    }

    #[test]
    fn availability_follows_the_local_week_and_daylight_saving() {
        let hours = OfficeHours::parse("Europe/Berlin", &week(WEEKDAYS_9_TO_5)).expect("valid hours");
        // Monday 7 December 2026, 10:00 in Berlin (UTC+1) = 09:00 UTC: open.
        assert_eq!(hours.availability(utc("2026-12-07T09:00:00Z")), Some(Availability::Open));
        // Monday 07:30 Berlin: back at 09:00 Berlin = 08:00 UTC.
        assert_eq!(
            hours.availability(utc("2026-12-07T06:30:00Z")),
            Some(Availability::Away { back_at: Some(utc("2026-12-07T08:00:00Z")) })
        );
        // Friday 16:30 Berlin (closes at 16:00): back on Monday 09:00.
        assert_eq!(
            hours.availability(utc("2026-12-11T15:30:00Z")),
            Some(Availability::Away { back_at: Some(utc("2026-12-14T08:00:00Z")) })
        );
        // Saturday 27 March 2027: back Monday 29 March, after the clocks went forward (UTC+2).
        assert_eq!(
            hours.availability(utc("2027-03-27T12:00:00Z")),
            Some(Availability::Away { back_at: Some(utc("2027-03-29T07:00:00Z")) })
        );
        // No office hours: nothing to say; every day closed: away with no date.
        assert_eq!(OfficeHours::default().availability(utc("2026-12-07T09:00:00Z")), None);
        let closed = OfficeHours::parse("Asia/Tokyo", &Default::default()).expect("valid hours");
        assert_eq!(closed.availability(utc("2026-12-07T09:00:00Z")), Some(Availability::Away { back_at: None }));
    }
}
