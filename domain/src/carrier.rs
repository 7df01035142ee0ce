//! The well-known Chinese parcel carriers and the tracking page a customer can open for a
//! waybill number. A carrier is recognised by any of its usual names inside what was typed
//! ("顺丰速运", "SF 顺丰" …), so free text keeps working and an unknown carrier gets no link.

/// One carrier: its usual full name, the names it is known by, and its code on kuaidi100 (a
/// tracking site that answers for every carrier here by one address shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Carrier {
    pub name: &'static str,
    /// What people call it, short enough for a suggestion chip: "顺丰".
    pub short: &'static str,
    aliases: &'static [&'static str],
    code: &'static str,
}

pub const CARRIERS: &[Carrier] = &[
    Carrier {
        name: "顺丰速运",
        short: "顺丰",
        aliases: &["顺丰", "sf"],
        code: "shunfeng",
    },
    Carrier {
        name: "中通快递",
        short: "中通",
        aliases: &["中通", "zto"],
        code: "zhongtong",
    },
    Carrier {
        name: "圆通速递",
        short: "圆通",
        aliases: &["圆通", "yto"],
        code: "yuantong",
    },
    Carrier {
        name: "韵达快递",
        short: "韵达",
        aliases: &["韵达", "yunda"],
        code: "yunda",
    },
    Carrier {
        name: "申通快递",
        short: "申通",
        aliases: &["申通", "sto"],
        code: "shentong",
    },
    Carrier {
        name: "京东物流",
        short: "京东",
        aliases: &["京东", "jd"],
        code: "jd",
    },
    Carrier {
        name: "EMS",
        short: "EMS",
        aliases: &["ems", "邮政"],
        code: "ems",
    },
    Carrier {
        name: "德邦快递",
        short: "德邦",
        aliases: &["德邦", "deppon"],
        code: "debangkuaidi",
    },
];

impl Carrier {
    /// The carrier named in `typed`, if it is a well-known one.
    pub fn recognise(typed: &str) -> Option<&'static Carrier> {
        let typed = typed.trim().to_lowercase();
        if typed.is_empty() {
            return None;
        }
        CARRIERS.iter().find(|carrier| {
            typed.contains(&carrier.name.to_lowercase())
                || carrier.aliases.iter().any(|alias| {
                    // Latin abbreviations must be the whole word ("sf", not "transfer").
                    if alias.is_ascii() {
                        typed
                            .split(|c: char| !c.is_ascii_alphanumeric())
                            .any(|word| word == *alias)
                    } else {
                        typed.contains(alias)
                    }
                })
        })
    }

    /// The page that tracks `tracking_no` with this carrier; `None` for a number that is not a
    /// plain waybill number (letters, digits and dashes only), so nothing odd lands in a link.
    pub fn tracking_url(&self, tracking_no: &str) -> Option<String> {
        let number = tracking_no.trim();
        let plain = !number.is_empty()
            && number.len() <= 40
            && number
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        plain.then(|| {
            format!(
                "https://www.kuaidi100.com/chaxun?com={}&nu={number}",
                self.code
            )
        })
    }
}

/// The tracking page for a shipment, when its carrier is well known and its number plain.
pub fn tracking_link(carrier: &str, tracking_no: &str) -> Option<String> {
    Carrier::recognise(carrier)?.tracking_url(tracking_no)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_well_known_carrier_is_recognised_by_its_usual_names() {
        for (typed, code) in [
            ("顺丰速运", "shunfeng"),
            ("顺丰", "shunfeng"),
            ("SF", "shunfeng"),
            ("中通", "zhongtong"),
            ("圆通速递", "yuantong"),
            ("韵达", "yunda"),
            ("申通快递", "shentong"),
            ("京东快递", "jd"),
            ("EMS 特快", "ems"),
            ("德邦物流", "debangkuaidi"),
        ] {
            assert_eq!(
                Carrier::recognise(typed).map(|c| c.code),
                Some(code),
                "{typed}"
            );
        }
    }

    #[test]
    fn unknown_carriers_and_odd_numbers_get_no_link() {
        assert_eq!(tracking_link("自提", "123"), None);
        assert_eq!(tracking_link("transfer", "123"), None);
        assert_eq!(tracking_link("顺丰", "SF1\"><script>"), None);
        assert_eq!(tracking_link("顺丰", " "), None);
        assert_eq!(
            tracking_link("顺丰速运", " SF1234567890 ").as_deref(),
            Some("https://www.kuaidi100.com/chaxun?com=shunfeng&nu=SF1234567890")
        );
    }
}
