//! The peer verbs' helpers: `connect --timeout` durations, and telling an
//! "already connected" answer apart from a failed connect.

use rayo_api::ClientError;

/// `30`, `30s`, `2m` as seconds.
pub(super) fn parse_duration_secs(text: &str) -> Result<u64, String> {
    let (number, unit) = match text.strip_suffix('s') {
        Some(n) => (n, 1),
        None => match text.strip_suffix('m') {
            Some(n) => (n, 60),
            None => (text, 1),
        },
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a duration: use seconds such as 30 or 30s, or 2m"))
}

/// Whether a failed connect only says that the peer is connected already.
pub(super) fn already_connected(error: &ClientError) -> bool {
    matches!(error, ClientError::Api { message, .. } if message.contains("already connected"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PK: &str = "02a1633cafcc01ebfb6d78e39f687a1f0995c62fc95f51ead10a02ee0be551b5dc";

    #[test]
    fn durations() {
        assert_eq!(parse_duration_secs("30"), Ok(30));
        assert_eq!(parse_duration_secs("30s"), Ok(30));
        assert_eq!(parse_duration_secs("2m"), Ok(120));
        assert!(parse_duration_secs("0").is_err());
        assert!(parse_duration_secs("x").is_err());
        assert!(parse_duration_secs("1h").is_err());
    }

    #[test]
    fn already_connected_is_not_an_error_for_connect_first() {
        let api = |message: &str| ClientError::Api {
            status: 500,
            code: 2,
            message: message.into(),
        };
        assert!(already_connected(&api(&format!(
            "already connected to peer: {PK}"
        ))));
        assert!(!already_connected(&api("cannot make connection to self")));
        assert!(!already_connected(&ClientError::Unauthorized));
    }
}
