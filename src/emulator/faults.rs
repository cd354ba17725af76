//! Fault injection: matching armed rules against requests and building the fault replies
//! (a v4 error with `Retry-After`, or the HTML page a CDN edge sends).

use super::envelope::{Reply, reason, v4_error};
use super::{Fault, FaultRule};

/// A rule with its remaining count (`None` = unlimited).
pub struct Armed {
    pub rule: FaultRule,
    remaining: Option<usize>,
}

impl Armed {
    pub fn new(rule: FaultRule) -> Armed {
        let remaining = (rule.times > 0).then_some(rule.times);
        Armed { rule, remaining }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        let method_ok = self
            .rule
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method));
        method_ok && path.contains(&self.rule.path_contains)
    }
}

/// The first armed rule matching the request, counting it down (and disarming it at zero).
pub fn take(armed: &mut Vec<Armed>, method: &str, path: &str) -> Option<Fault> {
    let pos = armed.iter().position(|a| a.matches(method, path))?;
    let fault = armed[pos].rule.fault.clone();
    if let Some(n) = armed[pos].remaining.as_mut() {
        *n -= 1;
        if *n == 0 {
            armed.remove(pos);
        }
    }
    Some(fault)
}

/// The v4 error envelope for an injected status. Codes: 429 → 971 (Cloudflare's throttling
/// code); anything else → 10001 with the reason phrase (an emulator choice: the real 5xx
/// bodies vary).
pub fn status_reply(status: u16, retry_after: Option<u64>) -> Reply {
    let reply = if status == 429 {
        v4_error(
            status,
            971,
            "Please wait and consider throttling your request speed",
        )
    } else {
        v4_error(status, 10001, reason(status))
    };
    match retry_after {
        Some(s) => reply.with_header("retry-after", s.to_string()),
        None => reply,
    }
}

/// The HTML error page an edge returns instead of JSON (e.g. a 502 or 522 page).
pub fn html_reply(status: u16) -> Reply {
    let title = reason(status);
    let body = format!(
        "<!DOCTYPE html>\n<html lang=\"en-US\">\n<head><title>{status} {title} | Cloudflare</title></head>\n\
         <body><div id=\"cf-error-details\"><h1>Error {status}</h1><p>{title}</p>\
         <p>Ray ID: 8f00000000000000</p></div></body>\n</html>\n"
    );
    Reply::html(status, body).with_header("server", "cloudflare")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_rules_disarm_after_their_count() {
        let mut armed = vec![Armed::new(FaultRule {
            method: Some("POST".into()),
            path_contains: "/gateways".into(),
            fault: Fault::Reset,
            times: 2,
        })];
        assert!(
            take(
                &mut armed,
                "GET",
                "/client/v4/accounts/a/ai-gateway/gateways"
            )
            .is_none()
        );
        assert!(take(&mut armed, "post", "/x/gateways").is_some());
        assert!(take(&mut armed, "POST", "/x/gateways").is_some());
        assert!(take(&mut armed, "POST", "/x/gateways").is_none());
    }

    #[test]
    fn unlimited_rules_stay_armed() {
        let mut armed = vec![Armed::new(FaultRule::new("", Fault::Html { status: 502 }))];
        for _ in 0..5 {
            assert!(take(&mut armed, "GET", "/anything").is_some());
        }
    }
}
