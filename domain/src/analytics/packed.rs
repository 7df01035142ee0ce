//! Many orders' facts as one compact byte string (`pack_facts`, `unpack_facts`): how the device stores
//! them. 分析 reads every order's facts whenever it opens; as JSON, decoding them cost twice
//! what JSON.parse of the same text costs in plain JS (and more than reading them), because
//! every bracket, comma and thirteen-digit time is a token to scan. Here a time is a varint,
//! an id its sixteen bytes, and decoding is walking the bytes once.
//!
//! Layout: the format byte `FORMAT`, the number of orders, then each order's fields in
//! `OrderFacts` order. Integers are LEB128 varints (signed ones zigzag-encoded), strings a
//! length and UTF-8 bytes, an optional value a 0/1 byte and then the value, a list its length
//! and then its items. After-sales kinds are stored by name, so reordering the enum never
//! changes what stored bytes mean. A new field needs a new `FORMAT` and a schema step that
//! rebuilds the facts (the device's store keeps only facts it can rebuild from the orders).

use std::fmt;

use uuid::Uuid;

use super::facts::{OrderFacts, RequestFacts, VisitFacts};
use crate::{feedback::AfterSalesKind, order::OrderStatus, staff::StaffRef, stage::StageId};

/// The first byte of every packed string: what layout follows.
const FORMAT: u8 = 1;

/// Why bytes could not be read back as facts (a damaged record, or one written in another
/// format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackError {
    /// Where in the bytes reading stopped.
    pub at: usize,
    pub what: &'static str,
}

impl fmt::Display for UnpackError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "packed facts: {} at byte {}", self.what, self.at)
    }
}

impl std::error::Error for UnpackError {}

/// `facts` as one byte string (`unpack_facts` gives them back, equal).
pub fn pack_facts(facts: &[OrderFacts]) -> Vec<u8> {
    let mut out = Writer(Vec::with_capacity(facts.len() * 160 + 8));
    out.0.push(FORMAT);
    out.len(facts.len());
    for order in facts {
        out.0.extend_from_slice(order.id.as_bytes());
        out.str(&order.number);
        out.str(&order.company);
        out.len(order.staff.len());
        for person in &order.staff {
            out.str(&person.user_id);
            out.str(&person.name);
        }
        match &order.status {
            OrderStatus::Active => out.0.push(0),
            OrderStatus::Completed => out.0.push(1),
            OrderStatus::Cancelled { reason } => {
                out.0.push(2);
                out.str(reason);
            }
        }
        out.int(order.started);
        out.maybe(order.completed, Writer::int);
        out.maybe(order.cancelled, Writer::int);
        out.len(order.visits.len());
        for visit in &order.visits {
            out.str(visit.stage.as_str());
            out.int(visit.entered);
            out.maybe(visit.left, Writer::int);
            out.int(i64::from(visit.due));
            out.maybe(visit.handler, |out, at| out.uint(u64::from(at)));
        }
        out.maybe(order.shipped, Writer::int);
        out.maybe(order.promised, |out, day| out.int(i64::from(day)));
        out.maybe(order.rating, |out, (stars, at)| {
            out.0.push(stars);
            out.int(at);
        });
        out.len(order.requests.len());
        for request in &order.requests {
            out.str(request.kind.as_str());
            out.int(request.at);
            out.maybe(request.resolved, Writer::int);
        }
        out.len(order.reworked.len());
        for at in &order.reworked {
            out.int(*at);
        }
    }
    out.0
}

/// The facts `pack_facts` wrote; an error for bytes it did not write (truncated, trailing bytes,
/// another format, broken UTF-8, a number out of range).
pub fn unpack_facts(bytes: &[u8]) -> Result<Vec<OrderFacts>, UnpackError> {
    let mut from = Reader { bytes, at: 0 };
    if from.byte()? != FORMAT {
        return Err(from.error_before(1, "unknown format"));
    }
    let count = from.len()?;
    let mut facts = Vec::with_capacity(count);
    for _ in 0..count {
        let id = Uuid::from_bytes(from.take(16)?.try_into().expect("16 bytes"));
        let number = from.string()?;
        let company = from.string()?;
        let staff = from.list(|from| {
            Ok(StaffRef {
                user_id: from.string()?,
                name: from.string()?,
            })
        })?;
        if staff.is_empty() {
            return Err(from.error_before(1, "an order without its owner"));
        }
        let status = match from.byte()? {
            0 => OrderStatus::Active,
            1 => OrderStatus::Completed,
            2 => OrderStatus::Cancelled {
                reason: from.string()?,
            },
            _ => return Err(from.error_before(1, "unknown order status")),
        };
        let started = from.int()?;
        let completed = from.maybe(Reader::int)?;
        let cancelled = from.maybe(Reader::int)?;
        let visits = from.list(|from| {
            Ok(VisitFacts {
                stage: StageId(from.string()?),
                entered: from.int()?,
                left: from.maybe(Reader::int)?,
                due: from.int32()?,
                handler: from.maybe(|from| {
                    u16::try_from(from.uint()?).map_err(|_| from.error_before(1, "handler"))
                })?,
            })
        })?;
        let shipped = from.maybe(Reader::int)?;
        let promised = from.maybe(Reader::int32)?;
        let rating = from.maybe(|from| Ok((from.byte()?, from.int()?)))?;
        let requests = from.list(|from| {
            let kind = from.string()?;
            Ok(RequestFacts {
                kind: AfterSalesKind::parse(&kind)
                    .ok_or_else(|| from.error_before(kind.len(), "unknown after-sales kind"))?,
                at: from.int()?,
                resolved: from.maybe(Reader::int)?,
            })
        })?;
        let reworked = from.list(Reader::int)?;
        facts.push(OrderFacts {
            id,
            number,
            company,
            staff,
            status,
            started,
            completed,
            cancelled,
            visits,
            shipped,
            promised,
            rating,
            requests,
            reworked,
        });
    }
    if from.at != bytes.len() {
        return Err(from.error_before(0, "bytes after the last order"));
    }
    Ok(facts)
}

struct Writer(Vec<u8>);

impl Writer {
    fn uint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.0.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
    }

    /// Zigzag: small negative and positive numbers both stay short.
    fn int(&mut self, value: i64) {
        self.uint(((value << 1) ^ (value >> 63)) as u64);
    }

    fn len(&mut self, len: usize) {
        self.uint(len as u64);
    }

    fn str(&mut self, text: &str) {
        self.len(text.len());
        self.0.extend_from_slice(text.as_bytes());
    }

    fn maybe<T>(&mut self, value: Option<T>, write: impl FnOnce(&mut Writer, T)) {
        match value {
            None => self.0.push(0),
            Some(value) => {
                self.0.push(1);
                write(self, value);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// An error about what the last `back` bytes were meant to be.
    fn error_before(&self, back: usize, what: &'static str) -> UnpackError {
        UnpackError {
            at: self.at.saturating_sub(back),
            what,
        }
    }

    fn take(&mut self, count: usize) -> Result<&'a [u8], UnpackError> {
        let end = self
            .at
            .checked_add(count)
            .filter(|end| *end <= self.bytes.len())
            .ok_or(UnpackError {
                at: self.at,
                what: "cut short",
            })?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn byte(&mut self) -> Result<u8, UnpackError> {
        Ok(self.take(1)?[0])
    }

    fn uint(&mut self) -> Result<u64, UnpackError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.error_before(1, "a number too large"))
    }

    fn int(&mut self) -> Result<i64, UnpackError> {
        let zigzag = self.uint()?;
        Ok((zigzag >> 1) as i64 ^ -((zigzag & 1) as i64))
    }

    fn int32(&mut self) -> Result<i32, UnpackError> {
        i32::try_from(self.int()?).map_err(|_| self.error_before(1, "a day out of range"))
    }

    fn len(&mut self) -> Result<usize, UnpackError> {
        let len = self.uint()?;
        // Every item takes at least one byte: a larger count is damage, and must not reserve
        // memory for it.
        usize::try_from(len)
            .ok()
            .filter(|len| *len <= self.bytes.len() - self.at)
            .ok_or_else(|| self.error_before(1, "a length longer than the bytes left"))
    }

    fn string(&mut self) -> Result<String, UnpackError> {
        let len = self.len()?;
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_owned()),
            Err(_) => Err(self.error_before(len, "text that is not UTF-8")),
        }
    }

    fn maybe<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, UnpackError>,
    ) -> Result<Option<T>, UnpackError> {
        match self.byte()? {
            0 => Ok(None),
            1 => read(self).map(Some),
            _ => Err(self.error_before(1, "neither absent nor present")),
        }
    }

    fn list<T>(
        &mut self,
        mut read: impl FnMut(&mut Self) -> Result<T, UnpackError>,
    ) -> Result<Vec<T>, UnpackError> {
        let len = self.len()?;
        let mut items = Vec::with_capacity(len);
        for _ in 0..len {
            items.push(read(self)?);
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn person(id: &str, name: &str) -> StaffRef {
        StaffRef {
            user_id: id.into(),
            name: name.into(),
        }
    }

    /// One order with every optional field present and extreme numbers, and one with none.
    fn full_and_bare() -> Vec<OrderFacts> {
        let full = OrderFacts {
            id: Uuid::from_u128(0x0123_4567_89ab_cdef_fedc_ba98_7654_3210),
            number: "ＨＺ-2026-001".into(),
            company: "杭州明远纺织有限公司".into(),
            staff: vec![person("u-wangfang", "王芳"), person("u-admin", "管理员")],
            status: OrderStatus::Cancelled {
                reason: "客户预算调整，项目暂停 🙏".into(),
            },
            started: i64::MIN,
            completed: Some(i64::MAX),
            cancelled: Some(-1),
            visits: vec![
                VisitFacts {
                    stage: StageId::new("requirement"),
                    entered: 1_796_540_912_513,
                    left: Some(1_796_540_912_514),
                    due: i32::MIN,
                    handler: Some(u16::MAX),
                },
                VisitFacts {
                    stage: StageId::new("退回的自定义阶段"),
                    entered: 0,
                    left: None,
                    due: i32::MAX,
                    handler: None,
                },
            ],
            shipped: Some(1_796_147_406_799),
            promised: Some(739_970),
            rating: Some((5, 1_796_387_449_656)),
            requests: AfterSalesKind::ALL
                .iter()
                .enumerate()
                .map(|(n, kind)| RequestFacts {
                    kind: *kind,
                    at: n as i64 * 1000,
                    resolved: (n % 2 == 0).then_some(n as i64 * 2000),
                })
                .collect(),
            reworked: vec![3, -3, i64::MAX],
        };
        let bare = OrderFacts {
            id: Uuid::nil(),
            number: String::new(),
            company: String::new(),
            staff: vec![person("", "")],
            status: OrderStatus::Active,
            started: 0,
            completed: None,
            cancelled: None,
            visits: Vec::new(),
            shipped: None,
            promised: None,
            rating: None,
            requests: Vec::new(),
            reworked: Vec::new(),
        };
        vec![full, bare.clone(), bare]
    }

    #[test]
    fn packed_facts_read_back_equal_whatever_their_fields_hold() {
        let facts = full_and_bare();
        assert_eq!(unpack_facts(&pack_facts(&facts)).unwrap(), facts);
        assert_eq!(unpack_facts(&pack_facts(&[])).unwrap(), Vec::new());
    }

    #[test]
    fn the_demo_orders_facts_read_back_equal() {
        let pipeline = crate::Pipeline::standard();
        let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 12, 7, 2, 0, 0).unwrap();
        let facts = super::super::facts_of(&crate::demo_orders(&pipeline, now), &pipeline);
        assert!(!facts.is_empty());
        assert_eq!(unpack_facts(&pack_facts(&facts)).unwrap(), facts);
    }

    #[test]
    fn damaged_bytes_are_refused_never_misread() {
        let bytes = pack_facts(&full_and_bare());
        // Every cut is refused: nothing is taken for a shorter list of facts.
        for end in 0..bytes.len() {
            assert!(
                unpack_facts(&bytes[..end]).is_err(),
                "cut at {end} accepted"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            unpack_facts(&longer).unwrap_err().what,
            "bytes after the last order"
        );
        let mut other_format = bytes.clone();
        other_format[0] = FORMAT + 1;
        assert_eq!(
            unpack_facts(&other_format).unwrap_err().what,
            "unknown format"
        );
        // A huge count reserves nothing before failing.
        assert!(unpack_facts(&[FORMAT, 0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        assert!(unpack_facts(&[
            FORMAT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f
        ])
        .is_err());
    }

    proptest! {
        #[test]
        fn random_facts_read_back_equal(
            times in proptest::collection::vec(any::<i64>(), 1..12),
            due in any::<i32>(),
            handler in any::<Option<u16>>(),
            text in ".{0,12}",
        ) {
            let mut facts = full_and_bare();
            let order = &mut facts[0];
            order.number = text.clone();
            order.started = times[0];
            order.visits = times
                .windows(2)
                .map(|pair| VisitFacts {
                    stage: StageId(text.clone()),
                    entered: pair[0],
                    left: (pair[1] % 3 != 0).then_some(pair[1]),
                    due,
                    handler,
                })
                .collect();
            order.reworked = times.clone();
            prop_assert_eq!(unpack_facts(&pack_facts(&facts)).unwrap(), facts);
        }
    }
}
