//! Flag values of the control-plane commands, parsed by clap before anything happens (a bad
//! value exits 2 naming the flag): durations (`30m`, `24h`, `7d`), spend limits
//! (`AMOUNT/WINDOW`), rate limits (`N/SECONDS`), `on|off`, route names and model ids.
//! Ranges come from the gateway contract (`cache_ttl` ≥ 0, `retry_max_attempts` 1..5, spend
//! `limit` > 0 and `window` > 0 seconds).

use serde::Serialize;
use std::fmt;

/// A length of time in seconds, written `45s`, `30m`, `24h` or `7d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Span(pub u64);

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        match s {
            s if s % 86_400 == 0 => write!(f, "{}d", s / 86_400),
            s if s % 3_600 == 0 => write!(f, "{}h", s / 3_600),
            s if s % 60 == 0 => write!(f, "{}m", s / 60),
            s => write!(f, "{s}s"),
        }
    }
}

/// `30m`, `24h`, `7d`, `45s` (a unit is required; at least one second, at most 400 days).
pub fn parse_span(s: &str) -> Result<Span, String> {
    let s = s.trim();
    let (n, unit) = super::lifetime::number_and_unit(s)
        .ok_or_else(|| format!("{s:?} is not a duration like 30m, 24h or 7d"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "{s:?} needs a unit: s, m, h or d (e.g. 30m, 24h, 7d)"
            ));
        }
    };
    let secs = n.saturating_mul(mult);
    if secs == 0 || secs > 400 * 86_400 {
        return Err(format!("{s:?} must be between 1s and 400d"));
    }
    Ok(Span(secs))
}

/// A spend limit: at most `amount` US dollars per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpendLimit {
    pub amount: f64,
    pub window: Span,
}

impl fmt::Display for SpendLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "${} per {}", trim_amount(self.amount), self.window)
    }
}

/// `12.5` → `12.50`, `5` → `5`, `0.0005` → `0.0005` (less than a cent keeps its digits).
pub fn trim_amount(a: f64) -> String {
    if a.fract() == 0.0 {
        format!("{a:.0}")
    } else if a.abs() >= 0.01 {
        format!("{a:.2}")
    } else {
        format!("{a:.6}").trim_end_matches('0').to_string()
    }
}

/// `AMOUNT/WINDOW`: `5/1d`, `$50/30d`, `0.5/1h`.
pub fn parse_spend_limit(s: &str) -> Result<SpendLimit, String> {
    let (amount, window) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?} is not AMOUNT/WINDOW (e.g. 5/1d or 50/30d)"))?;
    let amount: f64 = amount
        .trim()
        .trim_start_matches('$')
        .parse()
        .map_err(|_| format!("{amount:?} is not an amount in US dollars"))?;
    if !(amount.is_finite() && amount > 0.0) {
        return Err("the amount must be more than 0".into());
    }
    Ok(SpendLimit {
        amount,
        window: parse_span(window)?,
    })
}

/// A request-count rate limit: `requests` per `seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RateLimit {
    pub requests: u64,
    pub seconds: u64,
}

/// `N/SECONDS`: `100/60`.
pub fn parse_rate_limit(s: &str) -> Result<RateLimit, String> {
    let (n, secs) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?} is not N/SECONDS (e.g. 100/60)"))?;
    let requests: u64 = n
        .trim()
        .parse()
        .map_err(|_| format!("{n:?} is not a whole number of requests"))?;
    let seconds: u64 = secs
        .trim()
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("{secs:?} is not a whole number of seconds"))?;
    if requests == 0 || seconds == 0 {
        return Err("both numbers must be at least 1 (use --no-rate-limit to turn it off)".into());
    }
    Ok(RateLimit { requests, seconds })
}

/// `on` / `off`.
pub fn parse_on_off(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err(format!("{s:?} is not on or off")),
    }
}

/// Retries: 0 (none) to 5 (the contract's `retry_max_attempts` maximum).
pub fn parse_retries(s: &str) -> Result<u8, String> {
    match s.parse::<u8>() {
        Ok(n) if n <= 5 => Ok(n),
        _ => Err(format!("{s:?} is not a number of retries from 0 to 5")),
    }
}

/// A dynamic route name: 1–64 of letters, digits, `-`, `_`.
pub fn parse_route_name(s: &str) -> Result<String, String> {
    let ok = (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "{s:?} is not a route name: use 1 to 64 letters, digits, - or _"
        ))
    }
}

/// A catalog model id, `vendor/model`.
pub fn parse_model(s: &str) -> Result<String, String> {
    match s.split_once('/') {
        Some((v, m)) if !v.is_empty() && !m.is_empty() && !s.chars().any(char::is_whitespace) => {
            Ok(s.to_string())
        }
        _ => Err(format!("{s:?} is not a model id like openai/gpt-5-mini")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_limits() {
        assert_eq!(parse_span("30m"), Ok(Span(1_800)));
        assert_eq!(parse_span("7d"), Ok(Span(604_800)));
        assert!(parse_span("7").is_err());
        assert!(parse_span("0h").is_err());
        assert!(parse_span("1y").is_err());
        let l = parse_spend_limit("$12.5/1d").unwrap();
        assert_eq!((l.amount, l.window), (12.5, Span(86_400)));
        assert_eq!(l.to_string(), "$12.50 per 1d");
        assert_eq!(trim_amount(0.0005), "0.0005");
        assert!(parse_spend_limit("0/1d").is_err());
        assert!(parse_spend_limit("5").is_err());
        assert_eq!(
            parse_rate_limit("100/60"),
            Ok(RateLimit {
                requests: 100,
                seconds: 60
            })
        );
        assert!(parse_rate_limit("0/60").is_err());
        assert!(parse_retries("6").is_err());
        assert!(parse_route_name("a b").is_err());
        assert!(parse_model("gpt-5").is_err());
    }
}
