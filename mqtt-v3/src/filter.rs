//! MQTT 3.1.1 topic names, topic filters and filter matching (section 4.7 of the specification).
//!
//! These rules are shared by the v3 and the legacy v2 gateway protocols.

/// Maximum length of a topic name or a topic filter in bytes (MQTT 3.1.1, section 1.5.3).
pub const MAX_TOPIC_LEN: usize = 65_535;

/// Why a topic name or filter breaks the MQTT 3.1.1 rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// Topic names and filters must be at least one character long.
    #[error("topic is empty")]
    Empty,
    /// Topic names and filters are at most [`MAX_TOPIC_LEN`] bytes.
    #[error("topic is {len} bytes long, more than {MAX_TOPIC_LEN}")]
    TooLong {
        /// Length of the rejected topic in bytes.
        len: usize,
    },
    /// Topic names and filters must not contain U+0000.
    #[error("topic has a NUL character at byte {at}")]
    Nul {
        /// Byte offset of the NUL character.
        at: usize,
    },
    /// A topic name (as opposed to a filter) contains `+` or `#`.
    #[error("topic name has wildcard `{ch}` at byte {at}")]
    WildcardInName {
        /// The wildcard character.
        ch: char,
        /// Byte offset of the wildcard.
        at: usize,
    },
    /// A wildcard does not occupy a whole level, or `#` is not the last level.
    #[error("filter level {level} `{text}` misuses a wildcard")]
    BadWildcard {
        /// Zero-based index of the offending level.
        level: usize,
        /// The offending level.
        text: String,
    },
}

fn validate_common(topic: &str) -> Result<(), FilterError> {
    if topic.is_empty() {
        return Err(FilterError::Empty);
    }
    if topic.len() > MAX_TOPIC_LEN {
        return Err(FilterError::TooLong { len: topic.len() });
    }
    if let Some(at) = topic.find('\0') {
        return Err(FilterError::Nul { at });
    }
    Ok(())
}

/// Checks a topic name as used in PUBLISH: 1 to [`MAX_TOPIC_LEN`] bytes, no NUL, no wildcards.
pub fn validate_topic_name(name: &str) -> Result<(), FilterError> {
    validate_common(name)?;
    if let Some(at) = name.find(['+', '#']) {
        let ch = if name.as_bytes()[at] == b'+' {
            '+'
        } else {
            '#'
        };
        return Err(FilterError::WildcardInName { ch, at });
    }
    Ok(())
}

/// Checks a topic filter as used in SUBSCRIBE: 1 to [`MAX_TOPIC_LEN`] bytes, no NUL, `+` only as
/// a whole level, `#` only as the whole last level.
pub fn validate_filter(filter: &str) -> Result<(), FilterError> {
    validate_common(filter)?;
    let mut levels = filter.split('/').enumerate().peekable();
    while let Some((level, text)) = levels.next() {
        let is_last = levels.peek().is_none();
        let ok = match text {
            "+" => true,
            "#" => is_last,
            _ => !text.contains(['+', '#']),
        };
        if !ok {
            return Err(FilterError::BadWildcard {
                level,
                text: text.into(),
            });
        }
    }
    Ok(())
}

/// Whether the topic filter `filter` matches the topic name `topic`, per MQTT 3.1.1 section 4.7.
///
/// * `+` matches exactly one level, which may be empty (`a/+` matches `a/` but not `a`).
/// * `#` matches its parent level and any number of child levels (`a/#` matches `a`, `a/`,
///   `a/b/c`; `#` matches every topic).
/// * A filter whose first level is a wildcard does not match a topic that starts with `$`
///   (section 4.7.2): `#` does not match `$SYS/x`, but `$SYS/#` does.
///
/// Returns `false` when `filter` is not a valid filter or `topic` is not a valid topic name.
pub fn filter_matches(filter: &str, topic: &str) -> bool {
    if validate_filter(filter).is_err() || validate_topic_name(topic).is_err() {
        return false;
    }
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    let mut f = filter.split('/');
    let mut t = topic.split('/');
    loop {
        match (f.next(), t.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        // MQTT 3.1.1, section 4.7.1.2 and 4.7.1.3.
        let yes = [
            ("sport/tennis/player1/#", "sport/tennis/player1"),
            ("sport/tennis/player1/#", "sport/tennis/player1/ranking"),
            (
                "sport/tennis/player1/#",
                "sport/tennis/player1/score/wimbledon",
            ),
            ("sport/#", "sport"),
            ("#", "sport/tennis"),
            ("#", "/"),
            ("sport/tennis/+", "sport/tennis/player1"),
            ("sport/+", "sport/"),
            ("+/+", "/finance"),
            ("/+", "/finance"),
            ("+", "a"),
            ("$SYS/#", "$SYS/broker"),
            ("$SYS/+", "$SYS/x"),
            ("a//b", "a//b"),
            ("a/+/b", "a//b"),
        ];
        for (f, t) in yes {
            assert!(filter_matches(f, t), "{f} should match {t}");
        }
        let no = [
            ("sport/tennis/+", "sport/tennis/player1/ranking"),
            ("sport/+", "sport"),
            ("+", "/finance"),
            ("#", "$SYS/broker"),
            ("+/monitor/Clients", "$SYS/monitor/Clients"),
            ("sport", "Sport"),
            ("a/b", "a/b/"),
            ("a/b/", "a/b"),
            // invalid filters and names never match
            ("sport/tennis#", "sport/tennis#"),
            ("sport/#/ranking", "sport/x/ranking"),
            ("sport+", "sport+"),
            ("#", "a/+"),
            ("", ""),
        ];
        for (f, t) in no {
            assert!(!filter_matches(f, t), "{f} should not match {t}");
        }
    }

    #[test]
    fn filter_validation() {
        for ok in ["#", "+", "+/+", "a/#", "/#", "a/+/b", "$SYS/#", "/", "a//b"] {
            assert_eq!(validate_filter(ok), Ok(()), "{ok}");
        }
        assert_eq!(validate_filter(""), Err(FilterError::Empty));
        assert_eq!(
            validate_filter("a/#/b"),
            Err(FilterError::BadWildcard {
                level: 1,
                text: "#".into()
            })
        );
        assert_eq!(
            validate_filter("a/b+"),
            Err(FilterError::BadWildcard {
                level: 1,
                text: "b+".into()
            })
        );
        assert_eq!(validate_filter("a\0"), Err(FilterError::Nul { at: 1 }));
        let long = "a".repeat(MAX_TOPIC_LEN + 1);
        assert_eq!(
            validate_filter(&long),
            Err(FilterError::TooLong {
                len: MAX_TOPIC_LEN + 1
            })
        );
    }

    #[test]
    fn name_validation() {
        assert_eq!(validate_topic_name("v3/gw/up"), Ok(()));
        assert_eq!(
            validate_topic_name("v3/+/up"),
            Err(FilterError::WildcardInName { ch: '+', at: 3 })
        );
        assert_eq!(
            validate_topic_name("v3/#"),
            Err(FilterError::WildcardInName { ch: '#', at: 3 })
        );
    }
}
