//! HTTP response hardening: cookie flags, HSTS, the redirect to https, mixed content.

use super::super::credentials::{parse_set_cookie, HeaderList};
use super::super::finding::{Finding, FindingKind, Severity, Transport};

/// Hardening checks on one HTTP response's headers.
///
/// - Every `Set-Cookie` missing `Secure` and/or `HttpOnly` → `set_cookie_insecure`
///   (medium when `Secure` is missing, low when only `HttpOnly` is).
/// - [`Transport::DecryptedTls`] (a response seen inside HTTPS): no
///   `Strict-Transport-Security`, or `max-age=0` → `missing_hsts`.
/// - [`Transport::Clear`]: a response that is not a 3xx redirect to an `https://`
///   `Location` → `no_https_redirect` (`host` is shown as evidence when given). The caller
///   may want to report this once per host.
pub fn audit_response_headers<H: HeaderList + ?Sized>(
    status: u16,
    headers: &H,
    transport: Transport,
    host: Option<&str>,
) -> Vec<Finding> {
    audit_response(status, headers, transport, host, true)
}

/// [`audit_response_headers`], with the check of the transport (`missing_hsts`,
/// `no_https_redirect`) left out when `transport_check` is false: for a caller that reports
/// those once per host and has already reported this host (the finding would be dropped).
pub fn audit_response<H: HeaderList + ?Sized>(
    status: u16,
    headers: &H,
    transport: Transport,
    host: Option<&str>,
    transport_check: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (name, value) in headers.fields() {
        if !name.eq_ignore_ascii_case("set-cookie") {
            continue;
        }
        let c = parse_set_cookie(value);
        let mut missing = Vec::new();
        if !c.secure {
            missing.push("Secure");
        }
        if !c.http_only {
            missing.push("HttpOnly");
        }
        if missing.is_empty() {
            continue;
        }
        let (sev, expl) = if !c.secure {
            (
                Severity::Medium,
                "This cookie lacks the Secure flag, so the browser also sends it over plain HTTP where anyone on the path can copy it.",
            )
        } else {
            (
                Severity::Low,
                "This cookie lacks the HttpOnly flag, so any script on the page (including injected ones) can read it.",
            )
        };
        out.push(
            Finding::new(FindingKind::SetCookieInsecure, sev, &c.name_value, expl)
                .detail("name", &c.name)
                .detail("missing", missing.join(",")),
        );
    }
    if !transport_check {
        return out;
    }
    let find = |n: &str| {
        headers
            .fields()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v)
    };
    match transport {
        Transport::DecryptedTls => {
            let hsts = find("strict-transport-security");
            let zero = hsts.is_some_and(|v| {
                String::from_utf8_lossy(v)
                    .to_ascii_lowercase()
                    .split(';')
                    .any(|d| {
                        d.trim()
                            .strip_prefix("max-age=")
                            .is_some_and(|a| a.trim().trim_matches('"') == "0")
                    })
            });
            if hsts.is_none() || zero {
                let ev = host.unwrap_or("Strict-Transport-Security");
                out.push(Finding::new(
                    FindingKind::MissingHsts,
                    Severity::Low,
                    ev.as_bytes(),
                    if zero {
                        "HSTS is switched off (max-age=0), so a browser's next visit may start over plain HTTP where it can be intercepted."
                    } else {
                        "The HTTPS response has no Strict-Transport-Security header, so a browser's next visit may start over plain HTTP where it can be intercepted."
                    },
                ));
            }
        }
        Transport::Clear => {
            let to_https = (300..400).contains(&status)
                && find("location").is_some_and(|l| {
                    l.trim_ascii()
                        .get(..8)
                        .is_some_and(|p| p.eq_ignore_ascii_case(b"https://"))
                });
            if !to_https {
                let ev = match host {
                    Some(h) => format!("http://{h} → {status}"),
                    None => format!("HTTP {status}"),
                };
                out.push(Finding::new(
                    FindingKind::NoHttpsRedirect,
                    Severity::Low,
                    ev.as_bytes(),
                    "The server answered over plain HTTP instead of redirecting to https, so the page can be read and altered on the path.",
                ));
            }
        }
    }
    out
}

/// Whether [`audit_mixed_content`] reads the body of a response with this content type (HTML
/// pages only). When not, the caller need not decode the body.
pub fn mixed_content_reads_body(content_type: Option<&[u8]>) -> bool {
    content_type.is_some_and(|c| c.windows(4).any(|w| w.eq_ignore_ascii_case(b"html")))
}

/// Mixed content inside HTTPS (a decrypted response): a redirect whose `Location` is plain
/// `http://`, or an HTML page that loads or links `http://` resources. Each is a way back to
/// plain HTTP, where the page or what it pulls in can be read and altered on the path.
pub fn audit_mixed_content<H: HeaderList + ?Sized>(
    status: u16,
    headers: &H,
    body: &[u8],
    content_type: Option<&[u8]>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let location = headers
        .fields()
        .find(|(k, _)| k.eq_ignore_ascii_case("location"))
        .map(|(_, v)| v);
    if (300..400).contains(&status) {
        if let Some(loc) = location.filter(|l| starts_with_ignore_case(l, b"http://")) {
            out.push(
                Finding::new(
                    FindingKind::MixedContent,
                    Severity::Medium,
                    loc,
                    "This HTTPS response redirects to plain http://, so the next request crosses the network readable and alterable by anyone on the path.",
                )
                .detail("where", "Location"),
            );
        }
    }
    if mixed_content_reads_body(content_type) {
        const ATTRS: [&[u8]; 4] = [
            b"src=\"http://",
            b"href=\"http://",
            b"src='http://",
            b"href='http://",
        ];
        let lower = body.to_ascii_lowercase();
        let hit = ATTRS
            .iter()
            .filter_map(|a| memchr::memmem::find(&lower, a).map(|p| (p, a.len())))
            .min();
        if let Some((p, n)) = hit {
            let start = p + n - "http://".len();
            let end = body
                .get(start..)
                .and_then(|r| r.iter().position(|&b| b == b'"' || b == b'\'' || b == b'>'))
                .map_or(body.len(), |e| start + e);
            out.push(
                Finding::new(
                    FindingKind::MixedContent,
                    Severity::Low,
                    body.get(start..end).unwrap_or_default(),
                    "This HTTPS page links or loads a plain http:// resource (mixed content): that resource can be read and altered on the path.",
                )
                .detail("where", "page body"),
            );
        }
    }
    out
}

pub(super) fn starts_with_ignore_case(v: &[u8], prefix: &[u8]) -> bool {
    v.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}
