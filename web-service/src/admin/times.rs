//! Times as an admin types and reads them: `<input type="datetime-local">`
//! in the admin's own time zone, sent with the zone's offset from UTC (the
//! page's script fills it in from the browser; without it the form says and
//! uses UTC), and every time shown in that zone with UTC beside it.

use time::{macros::format_description, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The form field holding the browser's offset from UTC, in minutes east.
pub const OFFSET_FIELD: &str = "utc_offset_minutes";

/// The offset a form was sent with; UTC when missing or out of range.
pub fn offset(raw: Option<&str>) -> UtcOffset {
    raw.and_then(|r| r.trim().parse::<i32>().ok())
        .filter(|m| (-18 * 60..=18 * 60).contains(m))
        .and_then(|m| UtcOffset::from_whole_seconds(m * 60).ok())
        .unwrap_or(UtcOffset::UTC)
}

/// `2026-12-03T14:30` (seconds optional) in `offset`, as an instant.
pub fn parse_local(raw: &str, offset: UtcOffset) -> Option<OffsetDateTime> {
    let raw = raw.trim();
    let minutes = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    PrimitiveDateTime::parse(raw, minutes)
        .or_else(|_| PrimitiveDateTime::parse(raw, seconds))
        .ok()
        .map(|at| at.assume_offset(offset))
}

/// The value of a `datetime-local` input for `at` in `offset`.
pub fn input_value(at: OffsetDateTime, offset: UtcOffset) -> String {
    let at = at.to_offset(offset);
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// `UTC+01:00`, `UTC−05:30`, `UTC`.
pub fn zone_name(offset: UtcOffset) -> String {
    if offset == UtcOffset::UTC {
        return "UTC".to_owned();
    }
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '−' } else { '+' };
    format!("UTC{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_local_time_is_read_in_the_admins_zone() {
        let plus_one = offset(Some("60"));
        assert_eq!(
            parse_local("2026-12-03T14:30", plus_one),
            Some(datetime!(2026-12-03 13:30 UTC))
        );
        assert_eq!(
            parse_local("2026-12-03T14:30:15", UtcOffset::UTC),
            Some(datetime!(2026-12-03 14:30:15 UTC))
        );
        assert_eq!(parse_local("tomorrow", plus_one), None);
        assert_eq!(offset(Some("99999")), UtcOffset::UTC, "out of range");
        assert_eq!(offset(None), UtcOffset::UTC);
        assert_eq!(zone_name(offset(Some("-330"))), "UTC−05:30");
        assert_eq!(zone_name(plus_one), "UTC+01:00");
        assert_eq!(
            input_value(datetime!(2026-12-03 13:30 UTC), plus_one),
            "2026-12-03T14:30"
        );
    }
}
