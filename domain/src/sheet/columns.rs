//! Which order field a spreadsheet column holds, proposed from its header through the words
//! teams actually write (订单号, 单号, Order No. …). A proposal: the admin can change it, and an
//! unknown header is left unmapped rather than guessed.

use serde::{Deserialize, Serialize};

use crate::i18n::Localized;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    Number,
    Company,
    Contact,
    Phone,
    Product,
    Quantity,
    UnitPrice,
    Amount,
    DueDate,
    Owner,
    Stage,
    Note,
}

impl Column {
    pub const ALL: [Column; 12] = [
        Column::Number,
        Column::Company,
        Column::Contact,
        Column::Phone,
        Column::Product,
        Column::Quantity,
        Column::UnitPrice,
        Column::Amount,
        Column::DueDate,
        Column::Owner,
        Column::Stage,
        Column::Note,
    ];

    /// The header this field gets in an export (and in the error sheet), Chinese first.
    pub fn label(self) -> Localized {
        let (zh, en) = match self {
            Column::Number => ("订单号", "Order No."),
            Column::Company => ("客户", "Customer"),
            Column::Contact => ("联系人", "Contact"),
            Column::Phone => ("电话", "Phone"),
            Column::Product => ("产品", "Product"),
            Column::Quantity => ("数量", "Quantity"),
            Column::UnitPrice => ("单价", "Unit price"),
            Column::Amount => ("金额", "Amount"),
            Column::DueDate => ("交期", "Delivery date"),
            Column::Owner => ("业务员", "Owner"),
            Column::Stage => ("阶段", "Stage"),
            Column::Note => ("备注", "Note"),
        };
        Localized::new(zh, en)
    }

    /// Header words for this field, compared after `header_key` (case, spaces and
    /// punctuation do not count).
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            Column::Number => &[
                "订单号",
                "单号",
                "订单编号",
                "合同号",
                "orderno",
                "ordernumber",
                "order",
                "no",
            ],
            Column::Company => &[
                "客户",
                "客户名称",
                "公司",
                "公司名称",
                "客户公司",
                "customer",
                "company",
            ],
            Column::Contact => &["联系人", "客户联系人", "contact", "contactperson"],
            Column::Phone => &[
                "电话",
                "手机",
                "手机号",
                "联系电话",
                "电话号码",
                "phone",
                "mobile",
                "tel",
            ],
            Column::Product => &[
                "产品",
                "品名",
                "规格",
                "产品名称",
                "商品",
                "商品名称",
                "品名规格",
                "product",
                "item",
            ],
            Column::Quantity => &["数量", "qty", "quantity"],
            Column::UnitPrice => &["单价", "价格", "unitprice", "price"],
            Column::Amount => &["金额", "总价", "合计", "总金额", "amount", "total"],
            Column::DueDate => &[
                "交期",
                "交付日期",
                "预计交付日期",
                "交货期",
                "预计交付",
                "deliverydate",
                "duedate",
                "delivery",
            ],
            Column::Owner => &["业务员", "负责人", "销售", "跟单员", "owner", "salesperson"],
            Column::Stage => &["阶段", "状态", "进度", "stage", "status"],
            Column::Note => &["备注", "说明", "note", "notes", "remark", "remarks"],
        }
    }
}

/// A header as compared: lower case, without spaces, punctuation or a unit in brackets
/// ("单价（元）" and "单价(元)" are 单价; "Order No." is orderno).
pub fn header_key(header: &str) -> String {
    let mut key = String::new();
    let mut depth = 0u32;
    for c in header.chars() {
        match c {
            '(' | '（' | '[' | '【' => depth += 1,
            ')' | '）' | ']' | '】' => depth = depth.saturating_sub(1),
            _ if depth > 0 => {}
            c if c.is_alphanumeric() => key.extend(c.to_lowercase()),
            _ => {}
        }
    }
    key
}

/// The field each header proposes, in header order. A field is proposed once: a second column
/// with the same meaning (two 电话 columns) stays unmapped so nothing is silently overwritten.
pub fn propose_mapping(headers: &[String]) -> Vec<Option<Column>> {
    let mut taken = Vec::new();
    headers
        .iter()
        .map(|header| {
            let key = header_key(header);
            let column = Column::ALL
                .into_iter()
                .find(|column| column.synonyms().contains(&key.as_str()))?;
            if taken.contains(&column) {
                return None;
            }
            taken.push(column);
            Some(column)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_people_write_map_to_fields() {
        let mapping = propose_mapping(&headers(&[
            "单号",
            "客户名称",
            "联系人",
            "手机",
            "品名",
            "数量",
            "单价（元）",
            "金额",
            "交付日期",
            "负责人",
            "状态",
            "备注",
        ]));
        assert_eq!(
            mapping,
            Column::ALL.into_iter().map(Some).collect::<Vec<_>>()
        );
    }

    #[test]
    fn english_headers_ignore_case_spaces_and_dots() {
        assert_eq!(
            propose_mapping(&headers(&["Order No.", " Customer ", "Due Date", "QTY"])),
            vec![
                Some(Column::Number),
                Some(Column::Company),
                Some(Column::DueDate),
                Some(Column::Quantity)
            ]
        );
    }

    #[test]
    fn unknown_and_repeated_headers_stay_unmapped() {
        assert_eq!(
            propose_mapping(&headers(&["电话", "颜色", "手机", ""])),
            vec![Some(Column::Phone), None, None, None]
        );
    }
}
