//! Who may see the UI and who may change things: an optional token or basic
//! authentication (from `[web]`), and a CSRF token every form posts back.

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Ui;

const TOKEN_COOKIE: &str = "karafka_web_token";

/// What the configuration asks of a request.
#[derive(Clone, Default)]
pub(crate) struct Credentials {
    pub(crate) token: Option<String>,
    pub(crate) basic: Option<(String, String)>,
}

/// Lets a request through when it carries the configured credentials.
pub(crate) async fn authenticate(State(ui): State<Ui>, request: Request, next: Next) -> Response {
    let credentials = &ui.credentials;
    if credentials.token.is_none() && credentials.basic.is_none() {
        return next.run(request).await;
    }
    if let Some(token) = &credentials.token {
        let headers = request.headers();
        let bearer = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let cookie = headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().strip_prefix(TOKEN_COOKIE)?.strip_prefix('='))
            .next();
        if bearer.or(cookie).is_some_and(|given| same(given, token)) {
            return next.run(request).await;
        }
        // `?token=` once in a browser: remembered in a cookie, dropped from the address.
        let query = request.uri().query().unwrap_or("");
        let given = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="));
        if given.is_some_and(|given| same(given, token)) {
            let path = request.uri().path().to_owned();
            let cookie = format!("{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
            return (
                StatusCode::SEE_OTHER,
                [(LOCATION, path), (SET_COOKIE, cookie)],
            )
                .into_response();
        }
        if credentials.basic.is_none() {
            return (
                StatusCode::UNAUTHORIZED,
                "This Karafka Web UI needs its token: open it with ?token=<web.token>",
            )
                .into_response();
        }
    }
    if let Some((user, password)) = &credentials.basic {
        let given = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|encoded| base64_decode(encoded.trim()))
            .and_then(|decoded| String::from_utf8(decoded).ok());
        let expected = format!("{user}:{password}");
        if given.is_some_and(|given| same(&given, &expected)) {
            return next.run(request).await;
        }
    }
    (
        StatusCode::UNAUTHORIZED,
        [(WWW_AUTHENTICATE, "Basic realm=\"Karafka Web UI\"")],
        "Authentication required",
    )
        .into_response()
}

/// Compares secrets in time independent of where they differ.
fn same(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// A fresh random token (hex) for the forms of one UI.
pub(crate) fn csrf_token() -> String {
    use std::io::Read as _;
    let mut bytes = [0u8; 16];
    let random = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if random.is_err() {
        // No /dev/urandom: the time and the process id, hashed, are the next best thing.
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        bytes[..8].copy_from_slice(&hasher.finish().to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a posted form may change anything: not read-only, and its CSRF token matches.
pub(crate) fn check_post(ui: &Ui, csrf: Option<&str>) -> Result<(), (StatusCode, &'static str)> {
    if ui.frame.read_only {
        return Err((StatusCode::FORBIDDEN, "This Web UI is read-only"));
    }
    if !csrf.is_some_and(|given| same(given, &ui.frame.csrf)) {
        return Err((
            StatusCode::FORBIDDEN,
            "The form's CSRF token is missing or stale: reload the page and try again",
        ));
    }
    Ok(())
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_decode() {
        assert_eq!(base64_decode("YWRtaW46czNjcjN0").unwrap(), b"admin:s3cr3t");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("!!").is_none());
    }

    #[test]
    fn csrf_tokens_are_fresh_each_time() {
        let (a, b) = (csrf_token(), csrf_token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abd", "abc"));
        assert!(!same("ab", "abc"));
    }
}
