//! URL forms, and errors that name the bad part without the password.

use cache_core::Error;
use cache_redis::RedisUrl;

const SECRET: &str = "pa55-w0rd";

fn message(url: &str) -> String {
    match RedisUrl::parse(url) {
        Err(Error::InvalidArgument(message)) => message,
        other => panic!("{url}: expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn standalone_forms() {
    let url = RedisUrl::parse("redis://127.0.0.1:6380/2").unwrap();
    assert!(!url.is_cluster() && !url.is_tls());
    assert_eq!(url.nodes(), &[("127.0.0.1".to_owned(), 6380)]);
    assert_eq!(url.db(), 2);
    assert!(!url.has_password());

    let url = RedisUrl::parse("redis://cache.internal").unwrap();
    assert_eq!(url.nodes(), &[("cache.internal".to_owned(), 6379)]);
    assert_eq!(url.db(), 0);
    assert_eq!(url.to_string(), "redis://cache.internal:6379/0");

    let url = RedisUrl::parse("redis://[::1]:7000/").unwrap();
    assert_eq!(url.nodes(), &[("::1".to_owned(), 7000)]);
    assert_eq!(url.to_string(), "redis://[::1]:7000/0");
}

#[test]
fn credentials_are_decoded_and_never_shown() {
    let url = RedisUrl::parse(&format!("redis://app:{SECRET}%40x@h:1/0")).unwrap();
    assert_eq!(url.username(), Some("app"));
    assert!(url.has_password());
    assert_eq!(url.to_string(), "redis://app:***@h:1/0");
    assert!(!format!("{url:?}").contains(SECRET));

    // A password with an unencoded `/` or `@` still ends at the last `@`.
    let url = RedisUrl::parse(&format!("redis://:{SECRET}/@x@h:1")).unwrap();
    assert_eq!(url.nodes(), &[("h".to_owned(), 1)]);
    assert_eq!(url.to_string(), "redis://:***@h:1/0");
}

#[test]
fn cluster_forms() {
    let url = RedisUrl::parse(&format!(
        "redis+cluster://:{SECRET}@a:7000,b:7001,[::1]:7002"
    ))
    .unwrap();
    assert!(url.is_cluster());
    assert_eq!(url.nodes().len(), 3);
    assert_eq!(url.nodes()[2], ("::1".to_owned(), 7002));
    assert_eq!(
        url.to_string(),
        "redis+cluster://:***@a:7000,b:7001,[::1]:7002/0"
    );
    assert!(RedisUrl::parse("redis+cluster://a:7000/0").is_ok());
}

#[test]
fn tls_forms() {
    let url = RedisUrl::parse("rediss://h:6380").unwrap();
    assert!(url.is_tls() && !url.is_cluster());
    let url = RedisUrl::parse("rediss+cluster://a:1,b:2").unwrap();
    assert!(url.is_tls() && url.is_cluster());
    assert_eq!(url.to_string(), "rediss+cluster://a:1,b:2/0");
}

#[test]
fn errors_name_the_bad_part() {
    let cases = [
        ("http://h:1", "scheme `http`"),
        ("127.0.0.1:6379", "scheme://"),
        ("redis://h:port/0", "port is not a number"),
        ("redis://h:99999/0", "port is not a number from 1 to 65535"),
        ("redis://h:1:2", "IPv6 host is written in brackets"),
        ("redis://[::1]x", "after an IPv6 host"),
        ("redis+sentinel://h:1", "scheme `redis+sentinel`"),
        ("redis://h:0", "port is not"),
        ("redis://h:70000", "port is not"),
        ("redis:///0", "host is empty"),
        ("redis://h:1/x", "database after `/` is not"),
        ("redis://h:1/-1", "database after `/` is not"),
        ("redis://h:1/0?protocol=3", "query parameters"),
        ("redis://h:1/0#x", "fragments"),
        ("redis://a:1,b:2", "redis+cluster://"),
        ("redis+cluster://a:1,b:2/3", "only database 0"),
        ("redis+cluster://a:1,:2", "node 2"),
        ("redis://[::1:1", "IPv6"),
    ];
    for (url, part) in cases {
        let message = message(url);
        assert!(
            message.contains(part),
            "{url}: {message:?} does not name {part:?}"
        );
    }
}

#[test]
fn errors_never_contain_the_password() {
    for url in [
        format!("redis://:{SECRET}@h:port"),
        format!("redis://:{SECRET}@h:1/x"),
        format!("redis://:{SECRET}%zz@h:1"),
        format!("redis+cluster://:{SECRET}@a:1,b:2/5"),
        format!("ftp://:{SECRET}@h:1"),
        format!("redis://:{SECRET}@a:1,b:2"),
        // Mistyped: `@host` forgotten, a colon too many, user info before `://`.
        format!("redis://app:{SECRET}"),
        format!("redis://app:{SECRET}/0"),
        format!("redis://app:{SECRET}:6379"),
        format!("redis://app:{SECRET},b:1"),
        format!("redis:{SECRET}@h://x"),
        format!("redis:/:{SECRET}@h:6379"),
        format!("redis:{SECRET}@h"),
    ] {
        let message = message(&url);
        assert!(!message.contains(SECRET), "{message}");
        assert!(!message.contains("pa55"), "{message}");
    }
    assert!(message(&format!("redis://:{SECRET}%zz@h:1")).contains("password"));
}

/// A password holding `/`, `?`, `#` or `@` (base64 ones often hold `/`) whose URL lacks
/// `@host`, or has one `@` too many, puts the password's pieces where a host, port or
/// database is read: no message quotes any of them.
#[test]
fn a_password_split_by_a_reserved_character_is_never_quoted() {
    for sep in ['/', '?', '#', '@', ':', ','] {
        for url in [
            format!("redis://user:Qx7{sep}Zk9"),
            format!("redis://user:Qx7{sep}Zk9/1"),
            format!("redis://:Qx7{sep}Zk9"),
            format!("rediss://:Qx7@Zk9@host:bad{sep}"),
            format!("rediss://:Qx7@Zk9@host/{sep}"),
            format!("rediss://:Qx7{sep}Zk9@host/x"),
            format!("redis+cluster://user:Qx7{sep}Zk9"),
            format!("redis+cluster://:Qx7@Zk9@a:1,b:2/Qx7{sep}"),
            format!("redis://user:4242{sep}9191"),
            format!("redis+cluster://user:4242{sep}9191"),
            format!("redis://user:42424{sep}Zk9"),
        ] {
            let Err(Error::InvalidArgument(message)) = RedisUrl::parse(&url) else {
                continue;
            };
            for piece in ["Qx7", "Zk9", "4242", "9191"] {
                assert!(!message.contains(piece), "{url}: {message}");
            }
        }
    }
    for url in [
        "redis://user:pa/ss",
        "redis://user:pa?ss",
        "rediss://:p@ss@host/x",
    ] {
        let message = message(url);
        assert!(
            !message.contains("ss`") && !message.contains("`p"),
            "{url}: {message}"
        );
    }
    assert!(message("redis://user:pa/ss").contains("database"));
}

#[test]
fn announcements_are_turned_off_by_a_query_parameter() {
    let url = RedisUrl::parse(&format!("redis://app:{SECRET}@h:1/2?announce=off")).unwrap();
    assert!(!url.announces());
    assert_eq!((url.db(), url.username()), (2, Some("app")));
    assert_eq!(url.to_string(), "redis://app:***@h:1/2?announce=off");
    let shown = url.to_string().replace("***", SECRET);
    assert_eq!(RedisUrl::parse(&shown).unwrap(), url, "Display parses back");

    let url = RedisUrl::parse("redis+cluster://a:1,b:2?announce=off").unwrap();
    assert!(url.is_cluster() && !url.announces());
    assert_eq!(url.to_string(), "redis+cluster://a:1,b:2/0?announce=off");
    for on in ["redis://h:1", "redis://h:1/3?announce=on", "redis://h:1?"] {
        let url = RedisUrl::parse(on).unwrap();
        assert!(url.announces(), "{on}");
        assert!(!url.to_string().contains('?'), "{on}");
    }
    for bad in [
        "redis://h:1?announce=no",
        "redis://h:1?Announce=off",
        "redis://h:1?announce=off&protocol=3",
        "redis+cluster://a:1?announce",
    ] {
        let message = message(bad);
        assert!(message.contains("announce=off"), "{bad}: {message}");
        assert!(
            !message.contains("=no") && !message.contains("protocol"),
            "{bad}: {message}"
        );
    }
}

#[test]
fn user_names_are_shown_percent_encoded() {
    let url = RedisUrl::parse("redis://app%3A1%20x:pw@h:1").unwrap();
    assert_eq!(url.username(), Some("app:1 x"));
    assert_eq!(url.to_string(), "redis://app%3A1%20x:***@h:1/0");
    assert_eq!(
        RedisUrl::parse(&url.to_string()).unwrap().username(),
        url.username()
    );
    // Unreserved characters stay as they are.
    let url = RedisUrl::parse("redis://a-b.c_d~e@h:1").unwrap();
    assert_eq!(url.to_string(), "redis://a-b.c_d~e@h:1/0");
    // A multi-byte user name decodes from its UTF-8 escapes.
    let url = RedisUrl::parse("redis://%D0%BA%D1%8D%D1%88@h:1").unwrap();
    assert_eq!(url.username(), Some("кэш"));
}

#[test]
fn percent_escapes_must_be_well_formed() {
    for url in [
        "redis://u%@h:1",
        "redis://u%4@h:1",
        "redis://u%zz@h:1",
        "redis://%ff@h:1",
    ] {
        assert!(message(url).contains("user name"), "{url}");
    }
    for url in ["redis://:p%@h:1", "redis://:p%g0@h:1", "redis://:%C3@h:1"] {
        assert!(message(url).contains("password"), "{url}");
    }
    let url = RedisUrl::parse("redis://:p%25%40@h:1").unwrap();
    assert!(url.has_password());
}

#[test]
fn from_str_matches_parse() {
    let url: RedisUrl = "redis://h:1/3".parse().unwrap();
    assert_eq!(url, RedisUrl::parse("redis://h:1/3").unwrap());
}
