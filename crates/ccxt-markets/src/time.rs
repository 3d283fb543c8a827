//! ccxt's date helpers `iso8601` and `yymmdd`, with Python's bounds.

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Python's `datetime` covers years 1 to 9999; ccxt fails past them.
fn in_python_range(year: i64) -> bool {
    (1..=9999).contains(&year)
}

/// `iso8601(ms)`: `2026-03-27T08:00:00.000Z`, or `None` for a negative time or one past
/// Python's calendar, as ccxt answers.
pub(crate) fn iso8601(ms: i64) -> Option<String> {
    if !(0..=8_640_000_000_000_000).contains(&ms) {
        return None;
    }
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    if !in_python_range(year) {
        return None;
    }
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{millis:03}Z"
    ))
}

/// `yymmdd(ms)`: `260327`, the UTC date of the second nearest to `ms` (Python's
/// `round(ms / 1000)`, half to even); `None` where Python's calendar ends and ccxt fails.
pub(crate) fn yymmdd(ms: i64) -> Option<String> {
    let secs = (ms as f64 / 1000.0).round_ties_even();
    let secs = crate::safe::to_int(secs)?;
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    if !in_python_range(year) {
        return None;
    }
    Some(format!("{:02}{month:02}{day:02}", year % 100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_as_ccxt_writes_it() {
        assert_eq!(iso8601(0).as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(
            iso8601(1_774_598_400_001).as_deref(),
            Some("2026-03-27T08:00:00.001Z")
        );
        assert_eq!(
            iso8601(951_782_400_000).as_deref(),
            Some("2000-02-29T00:00:00.000Z")
        );
        assert_eq!(iso8601(-1), None);
        assert_eq!(iso8601(253_402_300_800_000), None, "year 10000");
        assert_eq!(
            iso8601(253_402_300_799_999).as_deref(),
            Some("9999-12-31T23:59:59.999Z")
        );
    }

    #[test]
    fn yymmdd_rounds_to_the_second_half_to_even() {
        assert_eq!(yymmdd(1_774_598_400_000).as_deref(), Some("260327"));
        // 23:59:59.500 rounds to the even second, 23:59:60 = the next day.
        let last_second = 1_774_655_999_000;
        assert_eq!(yymmdd(last_second + 499).as_deref(), Some("260327"));
        assert_eq!(yymmdd(last_second + 500).as_deref(), Some("260328"));
        assert_eq!(yymmdd(-1000).as_deref(), Some("691231"));
        assert_eq!(yymmdd(253_402_300_800_000), None);
    }
}
