//! Hiding the password of a URL-shaped text that may not parse.

/// Query parameters whose values are hidden.
const SECRET_PARAMS: [&str; 6] = ["password", "pass", "pwd", "secret", "token", "auth"];

/// `text`, read as `scheme:[//][user[:password]@]host[:port][,host:port…][/path][?query]`,
/// with every part that may be a password replaced by `***`.
///
/// For a program that must show a location it could not parse, such as a mistyped
/// `--cache` argument. It is deliberately generous:
/// - the user info ends at the last `@`, as [`RedisUrl`](crate::RedisUrl) reads it, so a
///   password with an unescaped `@` or `/` is hidden whole;
/// - any number of slashes may follow the scheme, or none (`redis:/:pw@host`,
///   `redis:pw@host`);
/// - user info without a `:` is hidden whole, since `pw@host` is more often a password
///   without its colon than a user name;
/// - a port that is not a number is hidden (`redis://user:pw`, with `@host` forgotten), and
///   so is everything after it, since a password's `/`, `?`, `#` or `,` would start what
///   reads as a path, query or next node (`redis://user:pa/ss` shows as `redis://user:***`);
/// - the values of query parameters such as `password` or `token` are hidden, as are
///   parameters without a value and fragments, which a Redis URL has no use for.
///
/// A text that holds no such part comes back unchanged, and redacting twice changes nothing
/// more.
///
/// ```
/// use cache_redis::redact_url;
///
/// assert_eq!(redact_url("redis://app:s3cret@10.0.0.1:6379/2"), "redis://app:***@10.0.0.1:6379/2");
/// assert_eq!(redact_url("redis:/:s3cret@cache:6379"), "redis:/:***@cache:6379");
/// assert_eq!(redact_url("redis:s3cret@cache"), "redis:***@cache");
/// assert_eq!(redact_url("redis://cache:6379"), "redis://cache:6379");
/// ```
pub fn redact_url(text: &str) -> String {
    let (scheme, rest) = split_scheme(text);
    let authority = rest.trim_start_matches('/');
    let slashes = &rest[..rest.len() - authority.len()];
    let mut out = format!("{scheme}{slashes}");
    let hostpart = match authority.rfind('@') {
        Some(at) => {
            match authority[..at].split_once(':') {
                Some((user, _)) => {
                    out.push_str(user);
                    out.push_str(":***@");
                }
                None => out.push_str("***@"),
            }
            &authority[at + 1..]
        }
        None => authority,
    };
    let end = hostpart.find(['/', '?', '#']).unwrap_or(hostpart.len());
    let (hosts, tail) = hostpart.split_at(end);
    for (i, node) in hosts.split(',').enumerate() {
        if i > 0 {
            out.push(',');
        }
        match redact_port(node) {
            Some(redacted) => {
                out.push_str(&redacted);
                return out;
            }
            None => out.push_str(node),
        }
    }
    out.push_str(&redact_query(tail));
    out
}

/// `("scheme:", rest)` when `text` starts with a scheme (a letter, then letters, digits,
/// `+`, `-` or `.`, then `:`), else `("", text)`.
fn split_scheme(text: &str) -> (&str, &str) {
    let name_len = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
        .count();
    let starts_with_letter = text.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    if starts_with_letter && text[name_len..].starts_with(':') {
        text.split_at(name_len + 1)
    } else {
        ("", text)
    }
}

/// `host:***` when `node`'s port is not a number, else `None`.
fn redact_port(node: &str) -> Option<String> {
    // In `[v6]:port` only what follows the `]` can be a port; elsewhere the first `:` ends
    // the host, so that all of `user:pa:ss` past `user` is the port.
    let host_end = if node.starts_with('[') {
        node.find(']').unwrap_or(node.len())
    } else {
        0
    };
    let colon = node[host_end..].find(':')?;
    let (host, port) = node.split_at(host_end + colon + 1);
    if port.is_empty() || port == "***" || port.bytes().all(|b| b.is_ascii_digit()) {
        None
    } else {
        Some(format!("{host}***"))
    }
}

/// `/path?query#fragment` with the values of secret-looking query parameters, parameters
/// without a value and the fragment replaced.
fn redact_query(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let (query, fragment) = match query.split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (query, None),
    };
    let params: Vec<String> = query
        .split('&')
        .map(|param| match param.split_once('=') {
            Some((name, _)) if SECRET_PARAMS.iter().any(|s| name.eq_ignore_ascii_case(s)) => {
                format!("{name}=***")
            }
            Some(_) => param.to_owned(),
            None if param.is_empty() => String::new(),
            None => "***".to_owned(),
        })
        .collect();
    let mut out = format!("{path}?{}", params.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        if !fragment.is_empty() {
            out.push_str("***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    const PW: &str = "pa55w0rd";

    #[test]
    fn well_formed_urls() {
        let cases = [
            ("redis://:pa55w0rd@h:6379/0", "redis://:***@h:6379/0"),
            ("redis://app:pa55w0rd@h:6379", "redis://app:***@h:6379"),
            ("rediss://app:pa55w0rd@h", "rediss://app:***@h"),
            (
                "redis+cluster://:pa55w0rd@a:7000,b:7001,[::1]:7002/",
                "redis+cluster://:***@a:7000,b:7001,[::1]:7002/",
            ),
            ("redis://app:pa55%40w0rd@h:1", "redis://app:***@h:1"),
        ];
        for (url, redacted) in cases {
            assert_eq!(redact_url(url), redacted, "{url}");
        }
    }

    #[test]
    fn urls_without_secrets_are_unchanged() {
        for url in [
            "redis://127.0.0.1:6379/0",
            "redis://[::1]:6380",
            "redis+cluster://a:1,b:2",
            "redis://h:1/0?protocol=3",
            "127.0.0.1:6379",
            "localhost",
            "",
            "redis://",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn mistyped_forms() {
        let cases = [
            ("redis:/:pa55w0rd@h:6379", "redis:/:***@h:6379"),
            ("redis:pa55w0rd@h", "redis:***@h"),
            ("redis:///:pa55w0rd@h", "redis:///:***@h"),
            ("redis://pa55w0rd@h:6379", "redis://***@h:6379"),
            (":pa55w0rd@h:6379", ":***@h:6379"),
            ("pa55w0rd@h", "***@h"),
            ("redis://app:pa55w0rd", "redis://app:***"),
            ("redis://app:pa55w0rd/0", "redis://app:***"),
            ("redis://:pa5/5@w0rd@h:1", "redis://:***@h:1"),
            ("redis://:a://pa55w0rd@h", "redis://:***@h"),
            (
                "redis://h:1/0?password=pa55w0rd&db=2",
                "redis://h:1/0?password=***&db=2",
            ),
            ("redis://h?Token=pa55w0rd#frag", "redis://h?Token=***#***"),
            (
                "http://u:pa55w0rd@h:1,[::1]:pa55w0rd",
                "http://u:***@h:1,[::1]:***",
            ),
        ];
        for (url, redacted) in cases {
            assert_eq!(redact_url(url), redacted, "{url}");
            assert!(!redact_url(url).contains(PW), "{url}");
        }
    }

    /// Without `@host`, a password's `/`, `?` or `#` starts what reads as a path, query or
    /// fragment: once a port is not a number, the rest is hidden too.
    #[test]
    fn a_password_split_by_a_reserved_character_is_hidden_whole() {
        for sep in ['/', '?', '#', '@', ':', ','] {
            // With `@`, `redis://user:Qx7@Zk9` is a well-formed URL whose host is `Zk9`.
            if sep != '@' {
                for url in [
                    format!("redis://user:Qx7{sep}Zk9"),
                    format!("redis+cluster://user:Qx7{sep}Zk9,b:1/0"),
                    format!("redis://h:1/0?Qx7{sep}Zk9"),
                ] {
                    let shown = redact_url(&url);
                    assert!(!shown.contains("Qx7") && !shown.contains("Zk9"), "{shown}");
                }
            }
            for url in [
                format!("rediss://:Qx7{sep}Zk9@host"),
                format!("rediss://:Qx7@Zk9@host:1/{sep}"),
            ] {
                let shown = redact_url(&url);
                assert!(
                    !shown.contains("Qx7") && !shown.contains("Zk9"),
                    "{url}: {shown}"
                );
            }
        }
        assert_eq!(redact_url("redis://user:pa/ss"), "redis://user:***");
        assert_eq!(redact_url("redis://user:pa?ss"), "redis://user:***");
        assert_eq!(redact_url("rediss://:p@ss@host"), "rediss://:***@host");
    }

    #[test]
    fn redacting_twice_changes_nothing_more() {
        for url in [
            "redis://app:pa55w0rd@h:6379/0",
            "redis:pa55w0rd@h",
            "redis://app:pa55w0rd",
            "redis://h:1/0?password=pa55w0rd",
        ] {
            let once = redact_url(url);
            assert_eq!(redact_url(&once), once);
        }
    }
}
