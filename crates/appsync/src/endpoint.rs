//! The GraphQL endpoint: URL checks and the region AppSync's host names carry.

use crate::error::Error;

#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) url: reqwest::Url,
    /// The URL's host, never empty (a URL without one is refused).
    host: String,
    /// The same URL as an `http::Uri`, parsed once: what requests are signed with.
    pub(crate) uri: http::Uri,
    /// The region for SigV4, when known.
    pub(crate) region: Option<String>,
}

impl Endpoint {
    pub(crate) fn parse(raw: &str, region: Option<&str>) -> Result<Self, Error> {
        let url = reqwest::Url::parse(raw.trim())
            .map_err(|e| Error::config_with_source("endpoint", format!("`{raw}` is not a URL"), e))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(Error::config("endpoint", format!("`{raw}` must be an https:// (or http://) URL")));
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()).map(str::to_owned) else {
            return Err(Error::config("endpoint", format!("`{raw}` has no host")));
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::config("endpoint", "must not carry user:password@"));
        }
        if url.fragment().is_some() {
            return Err(Error::config("endpoint", format!("`{raw}` must not have a #fragment")));
        }
        let region = match region {
            Some(r) => {
                let r = r.trim();
                if r.is_empty() || !r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return Err(Error::config(
                        "region",
                        format!("`{r}` is not a region name such as us-east-1"),
                    ));
                }
                Some(r.to_owned())
            }
            None => url.host_str().and_then(region_from_host).map(str::to_owned),
        };
        let uri = http::Uri::try_from(url.as_str()).map_err(|e| {
            Error::config_with_source("endpoint", format!("`{raw}` is not a valid HTTP URI"), e)
        })?;
        Ok(Self { url, host, uri, region })
    }

    /// The error for IAM auth on an endpoint whose region is unknown.
    pub(crate) fn missing_region(&self) -> Error {
        Error::config(
            "region",
            format!(
                "is required for IAM auth: it cannot be parsed from `{}` (only from <id>.appsync-api.<region>.amazonaws.com); \
                 call ClientBuilder::region on custom domains",
                self.host()
            ),
        )
    }

    pub(crate) fn host(&self) -> &str {
        &self.host
    }
}

/// `<id>.appsync-api.<region>.amazonaws.com` (and `.amazonaws.com.cn`) -> `<region>`.
pub(crate) fn region_from_host(host: &str) -> Option<&str> {
    let rest = host.split_once(".appsync-api.")?.1;
    let (region, suffix) = rest.split_once('.')?;
    let known_suffix = matches!(suffix, "amazonaws.com" | "amazonaws.com.cn" | "amazonaws.com." | "api.aws");
    (known_suffix && !region.is_empty()).then_some(region)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_from_appsync_hosts() {
        assert_eq!(region_from_host("abc.appsync-api.eu-west-2.amazonaws.com"), Some("eu-west-2"));
        assert_eq!(region_from_host("abc.appsync-api.cn-north-1.amazonaws.com.cn"), Some("cn-north-1"));
        assert_eq!(region_from_host("api.example.com"), None);
        assert_eq!(region_from_host("abc.appsync-api.us-east-1.example.com"), None);
    }

    #[test]
    fn bad_endpoints_name_the_field() {
        for raw in ["", "not a url", "ftp://x/graphql", "https://u:p@x.com/graphql"] {
            let e = Endpoint::parse(raw, None).expect_err(raw);
            assert_eq!(e.field(), Some("endpoint"), "{raw}");
        }
        let e = Endpoint::parse("https://x.com/graphql", Some("us east")).expect_err("bad region");
        assert_eq!(e.field(), Some("region"));
    }
}
