//! Token lifetimes on the command line (`90d`, `12h`, `4w`): parsed by
//! [`crate::cli::parse_duration`], a clap value parser, so a bad value exits 2 naming the flag.

pub use crate::cli::parse_duration as parse;

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
