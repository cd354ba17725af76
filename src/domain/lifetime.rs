//! Token lifetimes on the command line: `90d`, `12h`, `4w`, `30m` (a number and a unit).

/// Split `90d` into `(90, "d")`: the digits, then the rest. `None` when there are no digits or
/// the number does not fit. Every duration flag (token lifetimes here, `--since` and spend-limit
/// windows in [`super::limits`]) reads its value through this one split.
pub fn number_and_unit(s: &str) -> Option<(u64, &str)> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    Some((num.parse().ok()?, unit))
}

/// Parse `N` + `m|h|d|w` (1 minute to 10 years). Used as a clap value parser, so a bad value
/// exits 2 naming the flag before anything happens.
pub fn parse(s: &str) -> Result<chrono::Duration, String> {
    let s = s.trim();
    let (n, unit) = number_and_unit(s).ok_or_else(|| {
        format!("'{s}' is not a duration: use a number and a unit, e.g. 90d, 12h, 4w")
    })?;
    let n = i64::try_from(n).map_err(|_| format!("'{s}' is out of range: between 1m and 3660d"))?;
    let d = match unit {
        "m" => chrono::Duration::minutes(n),
        "h" => chrono::Duration::hours(n),
        "d" => chrono::Duration::days(n),
        "w" => chrono::Duration::weeks(n),
        _ => {
            return Err(format!(
                "'{s}' has no known unit: use m (minutes), h (hours), d (days) or w (weeks), e.g. 90d"
            ));
        }
    };
    if d < chrono::Duration::minutes(1) || d > chrono::Duration::days(3660) {
        return Err(format!("'{s}' is out of range: between 1m and 3660d"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn durations_have_a_number_and_a_unit() {
        assert_eq!(parse("90d").unwrap(), chrono::Duration::days(90));
        assert_eq!(parse("12h").unwrap(), chrono::Duration::hours(12));
        assert_eq!(parse("4w").unwrap(), chrono::Duration::weeks(4));
        assert!(parse("90").is_err());
        assert!(parse("d").is_err());
        assert!(parse("0d").is_err());
        assert!(parse("5y").is_err());
        assert!(parse("99999d").is_err());
    }
}
