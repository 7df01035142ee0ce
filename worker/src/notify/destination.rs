//! Where the worker may send a webhook. Pure, so every case is tested natively.
//!
//! An admin types a channel's URL, and the worker then POSTs to it from inside Cloudflare: a URL
//! naming this machine, a link-local metadata address or a private network would turn the
//! notification sender into a way to reach what is not meant to be reachable (and to read it,
//! if answers were shown). So URLs whose host is a loopback, unspecified, link-local, private,
//! shared (CGNAT), unique-local, site-local, multicast, reserved or documentation address are
//! refused — as literal IPv4 or IPv6, including IPv4 written inside IPv6 (mapped, compatible,
//! NAT64) and IPv4 in the decimal/hex/octal forms browsers accept (the URL parser turns
//! `http://2130706433/` and `http://0x7f.1/` into 127.0.0.1 before we look) — and names that
//! are this machine or a private network by convention (`localhost` and `*.localhost`,
//! `*.local`, `*.internal`, `*.home.arpa`, …). Names in public DNS that resolve to private
//! addresses cannot be checked from a Worker (no resolver API); Cloudflare's own fetch refuses
//! private targets for those, and the sender follows no redirect (see `send.rs`).
//!
//! The one escape is `NOTIFY_ALLOW_LOCAL_HTTP=enabled` (tests only): then 127.0.0.1, [::1] and
//! `localhost` — nothing else — are accepted, over http too.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::Url;

/// Why a destination is refused, or `None` when the worker may send to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The host is this machine or a non-public network.
    InternalHost,
}

/// Checks a parsed URL's host. `allow_local` admits loopback only (the test receiver).
pub fn check(url: &Url, allow_local: bool) -> Result<(), Refusal> {
    let Some(host) = url.host_str() else {
        return Err(Refusal::InternalHost);
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&host);
    let internal = match literal.parse::<IpAddr>() {
        Ok(address) => {
            if allow_local && ip_is_loopback(address) {
                return Ok(());
            }
            !ip_is_public(address)
        }
        Err(_) => {
            if allow_local && host == "localhost" {
                return Ok(());
            }
            name_is_internal(&host)
        }
    };
    if internal {
        Err(Refusal::InternalHost)
    } else {
        Ok(())
    }
}

fn ip_is_loopback(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Names that never mean a public host.
fn name_is_internal(host: &str) -> bool {
    const EXACT: [&str; 5] = [
        "localhost",
        "localhost.localdomain",
        "ip6-localhost",
        "ip6-loopback",
        "metadata.google.internal",
    ];
    const SUFFIXES: [&str; 8] = [
        ".localhost",
        ".local",
        ".localdomain",
        ".internal",
        ".intranet",
        ".lan",
        ".home.arpa",
        ".corp",
    ];
    // A single label ("router", "intranet") is resolved against a local search domain.
    EXACT.contains(&host)
        || SUFFIXES.iter().any(|suffix| host.ends_with(suffix))
        || !host.contains('.')
}

fn ip_is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => v4_is_public(v4),
        IpAddr::V6(v6) => v6_is_public(v6),
    }
}

fn v4_is_public(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    let internal = a == 0 // "this network", 0.0.0.0
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    !internal
}

fn v6_is_public(v6: Ipv6Addr) -> bool {
    // IPv4 carried in IPv6 is judged as that IPv4: ::ffff:a.b.c.d (mapped), ::a.b.c.d
    // (deprecated compatible) and 64:ff9b::a.b.c.d (NAT64) all reach it.
    let segments = v6.segments();
    let embedded = Ipv4Addr::new(
        (segments[6] >> 8) as u8,
        segments[6] as u8,
        (segments[7] >> 8) as u8,
        segments[7] as u8,
    );
    if let Some(v4) = v6.to_ipv4_mapped() {
        return v4_is_public(v4);
    }
    if segments[..6] == [0; 6] {
        // ::, ::1 and the compatible form: nothing public lives there.
        return false;
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_is_public(embedded);
    }
    let first = segments[0];
    let internal = (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (first & 0xff00) == 0xff00 // multicast
        || (first == 0x2001 && segments[1] == 0x0db8) // documentation
        || first == 0x0100; // discard-only 100::/64
    !internal
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        check(&Url::parse(url).expect("a URL"), false).is_err()
    }

    #[test]
    fn public_hosts_are_accepted() {
        for url in [
            "https://oapi.dingtalk.com/robot/send?access_token=x",
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
            "https://open.feishu.cn/open-apis/bot/v2/hook/x",
            "https://8.8.8.8/hook",
            "https://[2606:4700::1111]/hook",
            "https://172.32.0.1/hook",
        ] {
            assert!(!refused(url), "{url}");
        }
    }

    #[test]
    fn loopback_private_link_local_and_unique_local_literals_are_refused() {
        for url in [
            "https://127.0.0.1/hook",
            "https://127.8.9.10:8443/hook",
            "https://0.0.0.0/hook",
            "https://10.1.2.3/hook",
            "https://172.16.0.1/hook",
            "https://172.31.255.255/hook",
            "https://192.168.1.1/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/hook",
            "https://255.255.255.255/hook",
            "https://[::1]/hook",
            "https://[::]/hook",
            "https://[fe80::1]/hook",
            "https://[fd00::1]/hook",
            "https://[fc12:3456::1]/hook",
            "https://[fec0::1]/hook",
            "https://[ff02::1]/hook",
        ] {
            assert!(refused(url), "{url}");
        }
    }

    #[test]
    fn ipv4_hidden_in_ipv6_or_in_numeric_forms_is_judged_as_that_ipv4() {
        for url in [
            "https://[::ffff:127.0.0.1]/hook",
            "https://[::ffff:7f00:1]/hook",
            "https://[::ffff:10.0.0.1]/hook",
            "https://[::127.0.0.1]/hook",
            "https://[64:ff9b::a9fe:a9fe]/hook",
            "https://2130706433/hook",
            "https://0x7f.1/hook",
            "https://0177.0.0.1/hook",
            "https://127.1/hook",
        ] {
            assert!(refused(url), "{url}");
        }
        assert!(!refused("https://[::ffff:8.8.8.8]/hook"));
    }

    #[test]
    fn local_names_are_refused() {
        for url in [
            "https://localhost/hook",
            "https://LOCALHOST./hook",
            "https://api.localhost/hook",
            "https://printer.local/hook",
            "https://metadata.google.internal/computeMetadata/v1/",
            "https://router.home.arpa/hook",
            "https://intranet/hook",
        ] {
            assert!(refused(url), "{url}");
        }
    }

    #[test]
    fn the_test_escape_admits_loopback_only() {
        let allowed = |url: &str| check(&Url::parse(url).unwrap(), true).is_ok();
        assert!(allowed("http://127.0.0.1:8832/hook"));
        assert!(allowed("http://localhost:8832/hook"));
        assert!(allowed("http://[::1]:8832/hook"));
        assert!(!allowed("http://10.0.0.1/hook"));
        assert!(!allowed("http://169.254.169.254/"));
        assert!(!allowed("http://printer.local/"));
    }
}
