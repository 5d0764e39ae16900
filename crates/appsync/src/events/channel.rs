//! Channel names as AppSync Events accepts them, checked before anything is sent.
//!
//! A channel is 1 to 5 segments separated by `/` (a leading and a trailing `/` are optional);
//! each segment is 1 to 50 characters of `A-Z`, `a-z`, `0-9` and `-`, neither starting nor
//! ending with `-`. The first segment is the namespace. A subscription may end in the wildcard
//! `/*` (every channel below); a publish names one channel.

use crate::error::{Error, Result};

/// The most segments a channel has.
pub(crate) const MAX_SEGMENTS: usize = 5;
/// The most characters a segment has.
pub(crate) const MAX_SEGMENT_CHARS: usize = 50;

/// What the channel is for: subscriptions may end in `/*`, publishes may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    Publish,
    Subscribe,
}

/// Checks `channel` for `purpose`; the error names the `channel` argument and says what is wrong.
pub(crate) fn check(channel: &str, purpose: Use) -> Result<()> {
    let bad = |why: String| Err(Error::invalid_input("channel", why));
    let trimmed = channel.strip_prefix('/').unwrap_or(channel);
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return bad(format!(
            "`{channel}` names no channel: a channel is 1 to {MAX_SEGMENTS} segments separated by `/`, \
             the first being the namespace, such as /default/chat"
        ));
    }
    let mut segments: Vec<&str> = trimmed.split('/').collect();
    if segments.last() == Some(&"*") {
        if purpose == Use::Publish {
            return bad(format!(
                "`{channel}` ends in the wildcard `/*`, which only subscriptions may use: publish to one channel"
            ));
        }
        if segments.len() == 1 {
            return bad(format!("`{channel}` has no namespace before the wildcard, such as /default/*"));
        }
        segments.pop();
    }
    if segments.len() > MAX_SEGMENTS {
        return bad(format!(
            "`{channel}` has {} segments; a channel has at most {MAX_SEGMENTS}",
            segments.len()
        ));
    }
    for (i, segment) in segments.iter().enumerate() {
        let n = i + 1;
        if segment.is_empty() {
            return bad(format!("segment {n} of `{channel}` is empty (two `/` in a row)"));
        }
        if *segment == "*" {
            return bad(format!(
                "`{channel}` has the wildcard `*` before its end; only a last `/*` is allowed"
            ));
        }
        if let Some(c) = segment.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return bad(format!(
                "segment {n} of `{channel}`, `{segment}`, has {c:?}; segments use only A-Z, a-z, 0-9 and -"
            ));
        }
        if segment.len() > MAX_SEGMENT_CHARS {
            return bad(format!(
                "segment {n} of `{channel}` has {} characters; a segment has at most {MAX_SEGMENT_CHARS}",
                segment.len()
            ));
        }
        if segment.starts_with('-') || segment.ends_with('-') {
            return bad(format!("segment {n} of `{channel}`, `{segment}`, starts or ends with `-`"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(channel: &str, purpose: Use) -> String {
        match check(channel, purpose) {
            Ok(()) => panic!("`{channel}` was accepted"),
            Err(e) => {
                assert!(e.is_invalid_input(), "{e:?}");
                assert_eq!(e.field(), Some("channel"));
                e.message().unwrap_or_default().to_owned()
            }
        }
    }

    #[test]
    fn accepts_appsyncs_channels() {
        let fifty = "a".repeat(50);
        let good = [
            "/default/chat",
            "default/chat",
            "/default/chat/",
            "/default",
            "/a/b/c/d/e",
            "/Default/Room-42/x-Y-z",
            "/9/0",
        ];
        for channel in good.iter().copied().chain([format!("/default/{fifty}").as_str()]) {
            assert!(check(channel, Use::Publish).is_ok(), "{channel}");
            assert!(check(channel, Use::Subscribe).is_ok(), "{channel}");
        }
        for channel in ["/default/*", "default/room/*", "/a/b/c/d/e/*"] {
            assert!(check(channel, Use::Subscribe).is_ok(), "{channel}");
        }
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        assert!(refused("", Use::Publish).contains("names no channel"));
        assert!(refused("/", Use::Subscribe).contains("names no channel"));
        assert!(refused("/default/*", Use::Publish).contains("only subscriptions"));
        assert!(refused("/*", Use::Subscribe).contains("no namespace"));
        assert!(refused("/a/b/c/d/e/f", Use::Publish).contains("6 segments"));
        assert!(refused("/a//b", Use::Publish).contains("segment 2"));
        assert!(refused("/a/*/b", Use::Subscribe).contains("before its end"));
        let message = refused("/default/hello world", Use::Publish);
        assert!(message.contains("segment 2") && message.contains("' '"), "{message}");
        assert!(refused("/default/caf\u{e9}", Use::Publish).contains("A-Z, a-z, 0-9 and -"));
        assert!(refused("/default/under_score", Use::Publish).contains("'_'"));
        assert!(refused(&format!("/default/{}", "a".repeat(51)), Use::Publish).contains("51 characters"));
        assert!(refused("/default/-chat", Use::Publish).contains("starts or ends with `-`"));
        assert!(refused("/default/chat-", Use::Subscribe).contains("starts or ends with `-`"));
    }
}
