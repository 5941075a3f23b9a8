//! Web addresses that people type into the portal (a resource's link, a video call, a city's
//! website, the organization's social links), read once by the `url` crate as a browser
//! reads them (WHATWG URL). A value of [`WebUrl`] is an `http` or `https` address with a
//! host and no user name or password, and it is kept and linked in its parsed form: what
//! the portal shows as the host is the host a browser goes to. A hand-written check reads
//! `https://evil.example\@trusted.org` as leading to trusted.org, where a browser (which
//! reads `\` as `/`) goes to evil.example.

use std::fmt;

use ::url::{Host, Url};

/// An `http` or `https` address with a host, parsed; only [`WebUrl::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl {
    url: Url,
    /// The parsed form, without the `/` a bare host gains ("https://city.gov").
    href: String,
}

/// Why a text is not a web address; callers say it in their field's own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotWebUrl {
    /// Not `http://` or `https://` followed by a host, or not an address at all.
    Malformed,
    /// Spaces or control characters, which a browser would silently drop or encode.
    Whitespace,
    /// A user name or password before the host (`https://trusted.org@evil.example`): it
    /// makes an address look as if it led somewhere it does not.
    Credentials,
}

impl fmt::Display for NotWebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotWebUrl::Malformed => "not an address beginning with https:// or http://",
            NotWebUrl::Whitespace => "an address has no spaces",
            NotWebUrl::Credentials => "an address has no name or password before its host",
        })
    }
}

impl std::error::Error for NotWebUrl {}

impl WebUrl {
    /// Reads a typed address (surrounding spaces ignored). It must be written out in full,
    /// `http://` or `https://` then the host: the forms a browser also accepts but nobody
    /// types on purpose (`https:example.org`, `https:///example.org`, `https:\\example.org`)
    /// are refused rather than guessed at.
    pub fn parse(input: &str) -> Result<WebUrl, NotWebUrl> {
        let s = input.trim();
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(NotWebUrl::Whitespace);
        }
        let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
        let rest = if lower.starts_with("https://") {
            &s[8..]
        } else if lower.starts_with("http://") {
            &s[7..]
        } else {
            return Err(NotWebUrl::Malformed);
        };
        if rest.is_empty() || rest.starts_with(['/', '\\']) {
            return Err(NotWebUrl::Malformed);
        }
        let url = Url::parse(s).map_err(|_| NotWebUrl::Malformed)?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(NotWebUrl::Malformed);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(NotWebUrl::Credentials);
        }
        let href = match url.as_str().strip_suffix('/') {
            Some(origin)
                if url.path() == "/" && url.query().is_none() && url.fragment().is_none() =>
            {
                origin.to_owned()
            }
            _ => url.as_str().to_owned(),
        };
        Ok(WebUrl { url, href })
    }

    /// The address as a browser will request it: what is stored and linked to.
    pub fn as_str(&self) -> &str {
        &self.href
    }

    /// Where the address leads, for a reader to see: the host, and the port when it is not
    /// the scheme's own ("data.example.org:8080").
    pub fn host(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The host alone, an IPv6 address without its brackets (for an identifier such as a
    /// calendar UID's domain part).
    pub fn host_name(&self) -> String {
        match self.url.host() {
            Some(Host::Ipv6(address)) => address.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        }
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.href)
    }
}

#[cfg(test)]
mod tests {
    use super::{NotWebUrl, WebUrl};

    fn parsed(s: &str) -> WebUrl {
        WebUrl::parse(s).unwrap_or_else(|e| panic!("{s:?} was refused: {e}"))
    }

    #[test]
    fn web_addresses_with_a_host_are_read_and_kept_as_a_browser_reads_them() {
        for (typed, kept, host) in [
            (
                "https://www.epa.gov/waterfinancecenter",
                "https://www.epa.gov/waterfinancecenter",
                "www.epa.gov",
            ),
            (
                "https://lafayetteco.gov",
                "https://lafayetteco.gov",
                "lafayetteco.gov",
            ),
            (
                "https://lafayetteco.gov/",
                "https://lafayetteco.gov",
                "lafayetteco.gov",
            ),
            (
                "  HTTPS://Teams.Microsoft.com/l/meetup-join/19%3a ",
                "https://teams.microsoft.com/l/meetup-join/19%3a",
                "teams.microsoft.com",
            ),
            (
                "http://zoom.us/j/123?pwd=x",
                "http://zoom.us/j/123?pwd=x",
                "zoom.us",
            ),
            (
                "https://localhost:8443/room",
                "https://localhost:8443/room",
                "localhost:8443",
            ),
            (
                "https://example.org:443/x",
                "https://example.org/x",
                "example.org",
            ),
            ("http://[::1]:3000/x", "http://[::1]:3000/x", "[::1]:3000"),
            (
                "https://bücher.example/",
                "https://xn--bcher-kva.example",
                "xn--bcher-kva.example",
            ),
            (
                "https://example.org/?",
                "https://example.org/?",
                "example.org",
            ),
        ] {
            let url = parsed(typed);
            assert_eq!(url.as_str(), kept, "{typed}");
            assert_eq!(url.host(), host, "{typed}");
            // What is kept reads back the same.
            assert_eq!(parsed(url.as_str()), url, "{typed}");
        }
    }

    #[test]
    fn a_backslash_before_an_at_sign_is_read_as_a_browser_reads_it() {
        // A browser reads `\` as `/` in an http(s) address: it goes to evil.example, and that
        // is the host shown and the address linked, not trusted.org.
        let url = parsed("https://evil.example\\@trusted.org");
        assert_eq!(url.host(), "evil.example");
        assert_eq!(url.as_str(), "https://evil.example/@trusted.org");
        let url = parsed("https://trusted.org\\@evil.example/x");
        assert_eq!(url.host(), "trusted.org");
    }

    #[test]
    fn a_name_or_password_before_the_host_is_refused() {
        for bad in [
            "https://user@evil.example/",
            "https://trusted.org@evil.example",
            "https://trusted.org:pw@evil.example",
            "https://trusted.org%40@evil.example",
        ] {
            assert_eq!(WebUrl::parse(bad), Err(NotWebUrl::Credentials), "{bad}");
        }
    }

    #[test]
    fn anything_but_a_full_http_or_https_address_is_refused() {
        for bad in [
            "",
            "javascript:alert(1)",
            "JavaScript://example.org/%0aalert(1)",
            "data:text/html,<b>x</b>",
            "ftp://example.org",
            "example.org",
            "meet.example.org/room",
            "//example.org",
            "https://",
            "https:///path",
            "https:\\\\evil.example",
            "https:/\\evil.example",
            "https:example.org",
            "http://exa mple.org",
            "https://a b.example/",
            "https://example.org/a\tb",
            "https://example.org/\nx",
            "https://exa<mple.org/",
            "https://[::1/",
            "https://example.org:99999/",
        ] {
            assert!(WebUrl::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn quotes_and_angle_brackets_cannot_leave_an_attribute() {
        for typed in [
            "https://a.example/\"onmouseover=x",
            "https://a.example/<script>",
            "https://a.example/?q=\"><b>",
            "https://a.example/#\"<>",
        ] {
            let url = parsed(typed);
            assert!(!url.as_str().contains(['"', '<', '>']), "{}", url.as_str());
            assert_eq!(url.host(), "a.example");
        }
    }

    #[test]
    fn the_host_name_has_no_port_and_no_brackets() {
        assert_eq!(
            parsed("https://Portal.Example.org:8443/").host_name(),
            "portal.example.org"
        );
        assert_eq!(parsed("http://127.0.0.1:3000").host_name(), "127.0.0.1");
        assert_eq!(parsed("http://[::1]:3000/x").host_name(), "::1");
    }
}
