use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// Departments from the standard follow-up process; each stage names the roles that own it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    /// Sees the whole team's orders and figures (分析) and changes only what a stage makes them
    /// responsible for: a boss who watches, not a second admin.
    Manager,
    Sales,
    Service,
    Legal,
    Warehouse,
    Production,
    Procurement,
    Finance,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::Manager,
        Role::Sales,
        Role::Service,
        Role::Legal,
        Role::Warehouse,
        Role::Production,
        Role::Procurement,
        Role::Finance,
    ];

    /// The wire id, identical to the serde form, for places that store roles as text (SQL).
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Sales => "sales",
            Role::Service => "service",
            Role::Legal => "legal",
            Role::Warehouse => "warehouse",
            Role::Production => "production",
            Role::Procurement => "procurement",
            Role::Finance => "finance",
        }
    }

    pub fn parse(id: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == id)
    }

    pub fn label(&self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            Role::Admin => ("管理员", "Admin"),
            Role::Manager => ("经理", "Manager"),
            Role::Sales => ("销售", "Sales"),
            Role::Service => ("客服", "Customer service"),
            Role::Legal => ("法务", "Legal"),
            Role::Warehouse => ("仓储", "Warehouse"),
            Role::Production => ("生产", "Production"),
            Role::Procurement => ("采购", "Procurement"),
            Role::Finance => ("财务", "Finance"),
        };
        lang.pick(zh, en)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_a_chinese_label() {
        let labels: Vec<_> = Role::ALL.iter().map(|r| r.label(Lang::Zh)).collect();
        assert_eq!(
            labels,
            [
                "管理员",
                "经理",
                "销售",
                "客服",
                "法务",
                "仓储",
                "生产",
                "采购",
                "财务"
            ]
        );
    }

    #[test]
    fn role_ids_match_their_serialized_form_and_parse_back() {
        for role in Role::ALL {
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("boss"), None);
    }
}
