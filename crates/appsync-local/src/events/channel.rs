//! Channel paths: AppSync's naming rules, the namespace (first segment), and which published
//! channels a subscription (possibly ending in `/*`) matches.
//!
//! A channel has 1 to 5 segments separated by `/`; each segment is 1 to 50 characters of
//! `[A-Za-z0-9-]`, neither starting nor ending with `-`. A leading and a trailing `/` are
//! optional, and names are case-sensitive. A subscription may end in `/*`, which matches every
//! deeper channel; the `*` counts as one of the five segments and does not match the channel
//! without it (`/default/*` does not get `/default`): both inferred, no source says.

use std::fmt;

/// At most this many segments, the namespace included.
pub(crate) const MAX_SEGMENTS: usize = 5;
/// At most this many characters in a segment.
pub(crate) const MAX_SEGMENT_CHARS: usize = 50;

/// A valid channel path, or a valid subscription pattern when it ends in `/*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Channel {
    /// The segments without the wildcard.
    segments: Vec<String>,
    /// Whether a `/*` followed them.
    wildcard: bool,
}

impl Channel {
    /// A channel to publish to: no wildcard.
    pub(crate) fn publish(raw: &str) -> Result<Self, String> {
        let channel = Self::parse(raw)?;
        if channel.wildcard {
            return Err(format!(
                "channel {raw:?}: wildcards are for subscriptions; publish to a channel path"
            ));
        }
        Ok(channel)
    }

    /// A channel or wildcard pattern to subscribe to.
    pub(crate) fn subscribe(raw: &str) -> Result<Self, String> {
        Self::parse(raw)
    }

    fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.strip_prefix('/').unwrap_or(raw);
        let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        if trimmed.is_empty() {
            return Err(format!("channel {raw:?} is empty; expected /namespace[/segment...]"));
        }
        let parts: Vec<&str> = trimmed.split('/').collect();
        if parts.len() > MAX_SEGMENTS {
            return Err(format!(
                "channel {raw:?} has {} segments; at most {MAX_SEGMENTS} are allowed",
                parts.len()
            ));
        }
        let mut segments = Vec::with_capacity(parts.len());
        let mut wildcard = false;
        for (i, part) in parts.iter().enumerate() {
            if *part == "*" {
                if i == 0 {
                    return Err(format!("channel {raw:?}: the first segment must name a namespace"));
                }
                if i + 1 != parts.len() {
                    return Err(format!("channel {raw:?}: a wildcard may only be the last segment"));
                }
                wildcard = true;
                continue;
            }
            check_segment(raw, part)?;
            segments.push((*part).to_owned());
        }
        Ok(Self { segments, wildcard })
    }

    /// The namespace: the first segment.
    pub(crate) fn namespace(&self) -> &str {
        self.segments.first().map_or("", String::as_str)
    }

    /// The segments, without a wildcard.
    pub(crate) fn segments(&self) -> &[String] {
        &self.segments
    }

    /// Whether events published to `channel` reach a subscription to `self`.
    pub(crate) fn matches(&self, channel: &Channel) -> bool {
        if self.wildcard {
            channel.segments.len() > self.segments.len() && channel.segments.starts_with(&self.segments)
        } else {
            self.segments == channel.segments
        }
    }
}

/// The path as AppSync writes it: `/namespace/a/b`, `/namespace/*`.
impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for segment in &self.segments {
            write!(f, "/{segment}")?;
        }
        if self.wildcard {
            f.write_str("/*")?;
        }
        Ok(())
    }
}

/// A namespace name follows the rules of a segment.
pub(crate) fn check_segment(raw: &str, segment: &str) -> Result<(), String> {
    if segment.is_empty() {
        return Err(format!("channel {raw:?} has an empty segment"));
    }
    if segment.chars().count() > MAX_SEGMENT_CHARS {
        return Err(format!(
            "channel {raw:?}: segment {segment:?} is longer than {MAX_SEGMENT_CHARS} characters"
        ));
    }
    if let Some(c) = segment.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
        return Err(format!(
            "channel {raw:?}: segment {segment:?} has {c:?}; only letters, digits and '-' are allowed"
        ));
    }
    if segment.starts_with('-') || segment.ends_with('-') {
        return Err(format!("channel {raw:?}: segment {segment:?} may not start or end with '-'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slashes_at_either_end_are_optional() {
        let a = Channel::publish("default/a").expect("valid");
        assert_eq!(a, Channel::publish("/default/a").expect("valid"));
        assert_eq!(a, Channel::publish("/default/a/").expect("valid"));
        assert_eq!(a.to_string(), "/default/a");
        assert_eq!(a.namespace(), "default");
        assert_eq!(Channel::publish("/default").expect("valid").segments(), ["default"]);
    }

    #[test]
    fn appsyncs_naming_rules() {
        for ok in ["/a/b/c/d/e", "/A-1/b-2", &format!("/{}", "x".repeat(50))] {
            assert!(Channel::publish(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "/",
            "//",
            "/a//b",
            "/a/b/c/d/e/f",
            "/a/-b",
            "/a/b-",
            "/a/b_c",
            "/a/b c",
            "/a/é",
            &format!("/{}", "x".repeat(51)),
        ] {
            assert!(Channel::publish(bad).is_err(), "{bad}");
            assert!(Channel::subscribe(bad).is_err(), "{bad}");
        }
        let e = Channel::publish("/a/b_c").expect_err("invalid");
        assert!(e.contains("'_'"), "{e}");
    }

    #[test]
    fn wildcards_only_last_and_only_to_subscribe() {
        assert!(Channel::publish("/default/*").is_err());
        let w = Channel::subscribe("/default/*").expect("valid");
        assert_eq!(w.to_string(), "/default/*");
        assert!(Channel::subscribe("/*").is_err());
        assert!(Channel::subscribe("/default/*/a").is_err());
        assert!(Channel::subscribe("/a/b/c/d/*").is_ok());
        assert!(Channel::subscribe("/a/b/c/d/e/*").is_err());
        assert!(Channel::subscribe("/default/a*").is_err());
    }

    #[test]
    fn matching() {
        let sub = |s: &str| Channel::subscribe(s).expect("valid");
        let ch = |s: &str| Channel::publish(s).expect("valid");
        assert!(sub("/default/*").matches(&ch("/default/messages")));
        assert!(sub("/default/*").matches(&ch("/default/greetings/tutorial")));
        assert!(!sub("/default/*").matches(&ch("/default")));
        assert!(!sub("/default/*").matches(&ch("/other/messages")));
        assert!(sub("/default/a").matches(&ch("default/a/")));
        assert!(!sub("/default/a").matches(&ch("/default/a/b")));
        assert!(!sub("/default/a").matches(&ch("/default/A")));
        assert!(sub("/default/a/*").matches(&ch("/default/a/b")));
        assert!(!sub("/default/a/*").matches(&ch("/default/ab/c")));
    }
}
