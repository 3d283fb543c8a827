//! The textual form of a cache location: one Redis, or a Redis Cluster by its seed nodes.

use std::fmt;
use std::str::FromStr;

use cache_core::Error;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The port a URL without one means.
const DEFAULT_PORT: u16 = 6379;

/// A parsed Redis location, as given by a URL:
///
/// | form | meaning |
/// |------|---------|
/// | `redis://[[user]:password@]host[:port][/db]` | one Redis; port 6379 and database 0 by default |
/// | `rediss://…` | the same over TLS (feature `tls`) |
/// | `redis+cluster://[[user]:password@]host:port[,host:port…][/]` | a Redis Cluster, given by one or more seed nodes |
/// | `rediss+cluster://…` | a Redis Cluster over TLS (feature `tls`) |
///
/// Any form may end with `?announce=off`: the cache does not announce its writes to other
/// processes (see [`RedisConfig::announce`](crate::RedisConfig::announce) for what that
/// costs them), as for a Redis user that may not publish. `?announce=on` is the default; no
/// other query parameter is accepted.
///
/// A user name or password with reserved characters (`@ : / % ,`) is percent-encoded, as in
/// any URL. An IPv6 host is written in brackets: `redis://[::1]:6380`. A cluster has only
/// database 0, so its URL names no other.
///
/// `Display` and `Debug` show the URL with the password replaced by `***`, and no error from
/// [`RedisUrl::parse`] contains the password.
///
/// ```
/// use cache_redis::RedisUrl;
///
/// let url: RedisUrl = "redis+cluster://:hunter2@10.0.0.1:7000,10.0.0.2:7000".parse()?;
/// assert!(url.is_cluster());
/// assert_eq!(url.nodes().len(), 2);
/// assert_eq!(url.to_string(), "redis+cluster://:***@10.0.0.1:7000,10.0.0.2:7000/0");
/// # Ok::<(), cache_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl {
    cluster: bool,
    tls: bool,
    nodes: Vec<(String, u16)>,
    username: Option<String>,
    password: Option<String>,
    db: i64,
    announce: bool,
}

impl RedisUrl {
    /// Parses `url` (see the forms above).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the part that is wrong (scheme, host, port,
    /// database, percent-encoding). Only a scheme is ever quoted: a password with an
    /// unescaped `/`, `?` or `@`, or a URL whose `@host` was forgotten, puts pieces of the
    /// password where the host, port and database are read, so none of these is.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let bad = |what: String| Error::invalid_argument(format!("bad Redis URL: {what}"));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            bad("expected scheme://host:port, such as redis://127.0.0.1:6379".into())
        })?;
        let (tls, cluster) = match scheme.to_ascii_lowercase().as_str() {
            "redis" => (false, false),
            "rediss" => (true, false),
            "redis+cluster" => (false, true),
            "rediss+cluster" => (true, true),
            // A mistyped URL can put user info before `://`; only a scheme-like text is quoted.
            other
                if other
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) =>
            {
                return Err(bad(format!(
                    "unknown scheme `{other}` (expected redis, rediss, redis+cluster or rediss+cluster)"
                )));
            }
            _ => {
                return Err(bad(
                    "malformed scheme (expected redis, rediss, redis+cluster or rediss+cluster)"
                        .into(),
                ));
            }
        };
        // The user info may itself contain `/` or `?`; it ends at the last `@`.
        let (userinfo, hostpart) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (username, password) = match userinfo {
            None => (None, None),
            Some(info) => {
                let (user, pass) = info.split_once(':').unwrap_or((info, ""));
                let user = percent_decode(user).map_err(|e| bad(format!("user name: {e}")))?;
                // Only the position is named: the password's text never enters a message.
                let pass = percent_decode(pass)
                    .map_err(|_| bad("password: bad percent-encoding".into()))?;
                (
                    (!user.is_empty()).then_some(user),
                    (!pass.is_empty()).then_some(pass),
                )
            }
        };
        let end = hostpart.find(['/', '?', '#']).unwrap_or(hostpart.len());
        let (hosts, tail) = hostpart.split_at(end);
        let (db, announce) = parse_tail(tail).map_err(bad)?;
        let nodes = hosts
            .split(',')
            .enumerate()
            .map(|(i, node)| parse_node(node).map_err(|e| bad(format!("node {}: {e}", i + 1))))
            .collect::<Result<Vec<_>, _>>()?;
        if !cluster && nodes.len() > 1 {
            return Err(bad(format!(
                "{} hosts given to `{scheme}://`; a cluster's seed nodes take `{scheme}+cluster://`",
                nodes.len()
            )));
        }
        if cluster && db != 0 {
            return Err(bad(
                "a database other than 0: a Redis Cluster has only database 0".into(),
            ));
        }
        if tls && !cfg!(feature = "tls") {
            return Err(bad(format!(
                "`{scheme}://` needs cache-redis built with its `tls` feature"
            )));
        }
        Ok(Self {
            cluster,
            tls,
            nodes,
            username,
            password,
            db,
            announce,
        })
    }

    /// Whether this names a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        self.cluster
    }

    /// Whether connections use TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The host and port of the server, or of every seed node of a cluster.
    pub fn nodes(&self) -> &[(String, u16)] {
        &self.nodes
    }

    /// The database number (always 0 for a cluster).
    pub fn db(&self) -> i64 {
        self.db
    }

    /// Whether the cache announces its writes: false for `?announce=off`.
    pub fn announces(&self) -> bool {
        self.announce
    }

    /// The user name, if any (Redis 6 ACL).
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// Whether a password is set; the password itself stays private to the crate.
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    pub(crate) fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The same node(s) as the seed nodes of a cluster.
    pub(crate) fn into_cluster(mut self) -> Self {
        self.cluster = true;
        self
    }

    /// Adds the node of `other` as a seed node; both must agree on TLS, credentials and
    /// announcements.
    pub(crate) fn with_seed_node(mut self, other: Self) -> Result<Self, String> {
        if other.tls != self.tls
            || other.username != self.username
            || other.password != self.password
            || other.announce != self.announce
        {
            return Err(
                "its TLS, credentials or announce setting differ from the first seed node's".into(),
            );
        }
        self.nodes.extend(other.nodes);
        Ok(self)
    }
}

impl FromStr for RedisUrl {
    type Err = Error;

    fn from_str(url: &str) -> Result<Self, Error> {
        Self::parse(url)
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "rediss" } else { "redis" };
        let cluster = if self.cluster { "+cluster" } else { "" };
        write!(f, "{scheme}{cluster}://")?;
        match (&self.username, self.password.is_some()) {
            (Some(user), true) => write!(f, "{}:***@", utf8_percent_encode(user, USERINFO))?,
            (Some(user), false) => write!(f, "{}@", utf8_percent_encode(user, USERINFO))?,
            (None, true) => f.write_str(":***@")?,
            (None, false) => {}
        }
        for (i, (host, port)) in self.nodes.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            if host.contains(':') {
                write!(f, "{sep}[{host}]:{port}")?;
            } else {
                write!(f, "{sep}{host}:{port}")?;
            }
        }
        write!(f, "/{}", self.db)?;
        if !self.announce {
            f.write_str("?announce=off")?;
        }
        Ok(())
    }
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedisUrl({self})")
    }
}

/// The database and the announce setting of what follows the hosts: `[/db][?announce=off]`.
fn parse_tail(tail: &str) -> Result<(i64, bool), String> {
    if tail.contains('#') {
        return Err("fragments are not supported".into());
    }
    let (path, query) = match tail.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (tail, None),
    };
    let db = parse_db(path)?;
    let mut announce = true;
    // The query may be a piece of a password whose URL lost its `@host`: never quoted.
    let pairs = query.into_iter().flat_map(|q| q.split('&'));
    for pair in pairs.filter(|pair| !pair.is_empty()) {
        announce = match pair {
            "announce=on" => true,
            "announce=off" => false,
            _ => {
                return Err(
                    "query parameters other than announce=on or announce=off are not supported"
                        .into(),
                );
            }
        };
    }
    Ok((db, announce))
}

fn parse_db(tail: &str) -> Result<i64, String> {
    match tail.trim_start_matches('/') {
        "" => Ok(0),
        db => db
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| "the database after `/` is not a non-negative number".into()),
    }
}

fn parse_node(node: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(v6) = node.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or("unclosed `[` in an IPv6 host")?;
        if !after.is_empty() && !after.starts_with(':') {
            return Err("expected `:port` after an IPv6 host's `]`".into());
        }
        (host, after.strip_prefix(':'))
    } else {
        match node.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (node, None),
        }
    };
    // `redis://user:password` without `@host` reads as host `user`, port `password`, and a
    // password's `/`, `?` or `@` moves its pieces into the host or database: no part is
    // quoted, even one that looks harmless.
    if !node.starts_with('[') && host.contains(':') {
        return Err("a host with `:` is malformed (an IPv6 host is written in brackets)".into());
    }
    if host.is_empty() || host.contains(['/', '@', ' ', '[', ']']) {
        return Err("host is empty or malformed".into());
    }
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or("port is not a number from 1 to 65535")?,
    };
    Ok((host.to_owned(), port))
}

/// What a user name keeps unescaped when shown: RFC 3986's unreserved characters.
const USERINFO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Decodes `%XX` escapes. A `%` not followed by two hex digits is refused rather than kept
/// as it is, so that a password with a stray `%` fails loudly instead of authenticating with
/// something other than what was meant.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return Err("bad percent-encoding".into());
    }
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| "not UTF-8 after percent-decoding".into())
}
