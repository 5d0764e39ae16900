//! The request to sign or verify, borrowed from whatever HTTP representation the caller has.

use crate::encoding::contains_byte;
use crate::error::{SigningError, SigningErrorKind};
use crate::header_list::HeaderList;

/// What the payload hash of a request is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignableBody<'a> {
    /// The whole body; its SHA-256 is signed.
    Bytes(&'a [u8]),
    /// `UNSIGNED-PAYLOAD`: the body is not covered by the signature (streaming uploads, services
    /// that allow it such as S3).
    UnsignedPayload,
    /// A hash the caller computed already (hex SHA-256), or another SigV4 payload sentinel such as
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    Precomputed(&'a str),
}

/// How many headers a request view holds inline (more go to the heap): a client's request has a
/// handful, and the view is moved around by value.
const INLINE_REQUEST_HEADERS: usize = 8;

/// Request parts to sign or verify: method, URI, headers and body, all borrowed.
///
/// The URI may be absolute (`https://host:port/path?query`) or origin-form (`/path?query`, then a
/// `host` header is required). The path is taken as it would appear on the wire.
///
/// ```
/// use appsync_sigv4::{SignableBody, SignableRequest};
/// let body = br#"{"query":"{ listPosts { items { id } } }"}"#;
/// let req = SignableRequest::new(
///     "POST",
///     "https://example.appsync-api.us-east-1.amazonaws.com/graphql",
///     [("content-type", &b"application/json"[..])],
///     SignableBody::Bytes(body),
/// )?;
/// assert_eq!(req.path(), "/graphql");
/// # Ok::<(), appsync_sigv4::SigningError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SignableRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) scheme: Option<&'a str>,
    pub(crate) authority: Option<&'a str>,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    headers: HeaderList<(&'a str, &'a [u8]), INLINE_REQUEST_HEADERS>,
    /// Every header name is lower-case (always so for `http` types), so canonicalisation can
    /// skip case folding.
    pub(crate) names_lowercase: bool,
    pub(crate) body: SignableBody<'a>,
}

impl<'a> SignableRequest<'a> {
    /// Request parts from plain values.
    ///
    /// # Errors
    /// An empty or non-token method ([`SigningErrorKind::InvalidMethod`]), a URI that is neither
    /// absolute nor origin-form, a header name that is not an HTTP token, or a header value with
    /// CR, LF or NUL.
    pub fn new<H>(
        method: &'a str,
        uri: &'a str,
        headers: H,
        body: SignableBody<'a>,
    ) -> Result<Self, SigningError>
    where
        H: IntoIterator<Item = (&'a str, &'a [u8])>,
    {
        let (scheme, authority, path, query) = split_uri(uri)?;
        let headers: HeaderList<(&'a str, &'a [u8]), INLINE_REQUEST_HEADERS> = headers.into_iter().collect();
        let mut names_lowercase = true;
        for (name, value) in headers.as_slice() {
            if !is_token(name) || value.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)) {
                return Err(SigningError::new(SigningErrorKind::InvalidHeader { name: (*name).to_owned() }));
            }
            names_lowercase &= !name.bytes().any(|b| b.is_ascii_uppercase());
        }
        if !is_token(method) {
            return Err(SigningError::new(SigningErrorKind::InvalidMethod));
        }
        Ok(Self { method, scheme, authority, path, query, headers, names_lowercase, body })
    }

    /// Request parts from an [`http::Request`] (its body is not read: pass it as `body`).
    pub fn from_http<B>(req: &'a http::Request<B>, body: SignableBody<'a>) -> Self {
        Self::from_http_head(req.method(), req.uri(), req.headers(), body)
    }

    /// Request parts from [`http::request::Parts`], as a server sees them.
    pub fn from_http_parts(parts: &'a http::request::Parts, body: SignableBody<'a>) -> Self {
        Self::from_http_head(&parts.method, &parts.uri, &parts.headers, body)
    }

    // Inlined into the caller, so the view (a few hundred bytes) is built where it will live
    // rather than built here and copied out.
    #[inline]
    fn from_http_head(
        method: &'a http::Method,
        uri: &'a http::Uri,
        headers: &'a http::HeaderMap,
        body: SignableBody<'a>,
    ) -> Self {
        // The `http` types are already validated, so no checks are repeated here; their header
        // names are lower-case.
        let mut view = Self {
            method: method.as_str(),
            scheme: uri.scheme_str(),
            authority: uri.authority().map(http::uri::Authority::as_str),
            path: uri.path(),
            query: uri.query(),
            headers: HeaderList::new(),
            names_lowercase: true,
            body,
        };
        // Filled in place rather than collected and moved: the inline list is a few hundred bytes.
        for (name, value) in headers {
            view.headers.push((name.as_str(), value.as_bytes()));
        }
        view
    }

    /// The method.
    pub fn method(&self) -> &str {
        self.method
    }

    /// The path as given (before normalisation and encoding).
    pub fn path(&self) -> &str {
        self.path
    }

    /// The raw query string, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.query
    }

    /// The headers as given.
    pub fn headers(&self) -> &[(&'a str, &'a [u8])] {
        self.headers.as_slice()
    }

    /// The body to hash.
    pub fn body(&self) -> SignableBody<'a> {
        self.body
    }

    /// The `host` value to sign: the request's own `host` header (the last one if repeated), else
    /// the URI's authority without user info and without the scheme's default port.
    pub(crate) fn host(&self) -> Option<&'a [u8]> {
        if let Some((_, v)) = self.headers().iter().rev().find(|(n, _)| n.eq_ignore_ascii_case("host")) {
            return Some(v);
        }
        let authority = self.authority?;
        // User info is rare: a wide scan first, then the split only when there is an `@`.
        let authority = if contains_byte(authority.as_bytes(), b'@') {
            authority.rsplit_once('@').map_or(authority, |(_, host)| host)
        } else {
            authority
        };
        // The scheme's default port is left out; fixed-length suffix checks, not a search.
        let scheme = self.scheme.unwrap_or_default();
        let is = |s: &str| scheme.eq_ignore_ascii_case(s);
        let host = if let Some(host) = authority.strip_suffix(":443")
            && (is("https") || is("wss"))
        {
            host
        } else if let Some(host) = authority.strip_suffix(":80")
            && (is("http") || is("ws"))
        {
            host
        } else {
            authority
        };
        (!host.is_empty()).then_some(host.as_bytes())
    }
}

type UriParts<'a> = (Option<&'a str>, Option<&'a str>, &'a str, Option<&'a str>);

fn split_uri(uri: &str) -> Result<UriParts<'_>, SigningError> {
    let invalid = |reason| SigningError::new(SigningErrorKind::InvalidUri { reason });
    let uri = uri.split_once('#').map_or(uri, |(before, _)| before);
    let (scheme, authority, rest) = if uri.starts_with('/') {
        (None, None, uri)
    } else {
        let (scheme, rest) = uri.split_once("://").ok_or_else(|| {
            invalid("expected an absolute URL like https://host/path or a path starting with '/'")
        })?;
        if scheme.is_empty()
            || !scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return Err(invalid("the scheme must be letters, digits, '+', '-' or '.'"));
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(end);
        if authority.is_empty() || authority.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(invalid("the host must be non-empty, without spaces"));
        }
        (Some(scheme), Some(authority), rest)
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    if path.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0))
        || query.is_some_and(|q| q.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)))
    {
        return Err(invalid("the path and query must not contain CR, LF or NUL"));
    }
    Ok((scheme, authority, path, query))
}

/// RFC 9110 `token`: the characters allowed in a method or header name.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(uri: &str) -> Result<SignableRequest<'_>, SigningError> {
        SignableRequest::new("GET", uri, [], SignableBody::Bytes(b""))
    }

    #[test]
    fn splits_absolute_and_origin_form() {
        let r = req("https://u:p@example.com:443/a/b?x=1&y#frag").expect("valid");
        assert_eq!((r.path, r.query), ("/a/b", Some("x=1&y")));
        assert_eq!(r.host(), Some(&b"example.com"[..]));
        let r = req("http://example.com:8080").expect("valid");
        assert_eq!((r.path, r.query), ("", None));
        assert_eq!(r.host(), Some(&b"example.com:8080"[..]));
        let r = req("/graphql").expect("valid");
        assert_eq!(r.host(), None);
    }

    #[test]
    fn rejects_bad_parts_with_a_reason() {
        assert!(matches!(
            req("example.com/x").map(|_| ()).map_err(|e| e.kind().clone()),
            Err(SigningErrorKind::InvalidUri { .. })
        ));
        assert!(req("https:///x").is_err());
        assert!(req("https://exa mple.com/").is_err());
        let bad = SignableRequest::new("GET", "/", [("bad name", &b"v"[..])], SignableBody::Bytes(b""));
        assert!(
            matches!(bad.map(|_| ()).map_err(|e| e.kind().clone()), Err(SigningErrorKind::InvalidHeader { name }) if name == "bad name")
        );
        let bad = SignableRequest::new("GET", "/", [("x", &b"a\r\nb"[..])], SignableBody::Bytes(b""));
        assert!(bad.is_err());
    }

    #[test]
    fn a_bad_method_is_reported_as_such() {
        for method in ["", "GET /", "PO\rST", "G(ET"] {
            let err = SignableRequest::new(method, "https://example.com/", [], SignableBody::Bytes(b""))
                .map(|_| ())
                .map_err(|e| e.kind().clone());
            assert_eq!(err, Err(SigningErrorKind::InvalidMethod), "{method:?}");
        }
        assert!(SignableRequest::new("M-SEARCH", "/", [], SignableBody::Bytes(b"")).is_ok());
    }
}
