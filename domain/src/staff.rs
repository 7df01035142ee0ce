//! Who does things: a reference to a team member as stored on orders (`StaffRef`), and the
//! authenticated actor of a mutation (`Actor`), which may be the customer.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::role::Role;
use crate::text::{single_line, Field};

/// The `user_id` of `Actor::customer`. Team accounts have UUID ids, so it can never collide.
pub const CUSTOMER_ACTOR_ID: &str = "customer";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct StaffRef {
    pub user_id: String,
    pub name: String,
}

const STAFF_ID: Field = Field::new("user_id", "员工标识", "Staff id");
const STAFF_NAME: Field = Field::new("name", "员工姓名", "Staff name");

impl StaffRef {
    /// The name to show: the system's own in the reader's language (an English reader saw
    /// "系统" in the history and the process versions), a person's as they are called.
    pub fn shown_name(&self, lang: crate::Lang) -> &str {
        if self.user_id == SYSTEM_USER_ID {
            lang.pick("系统", "System")
        } else {
            &self.name
        }
    }

    pub fn new(user_id: impl Into<String>, name: impl Into<String>) -> Self {
        StaffRef {
            user_id: user_id.into(),
            name: name.into(),
        }
    }

    pub fn validated(&self) -> Result<StaffRef, DomainError> {
        Ok(StaffRef {
            user_id: single_line(STAFF_ID, &self.user_id, 64)?,
            name: single_line(STAFF_NAME, &self.name, 50)?,
        })
    }
}

/// Whoever performs a mutation, as authenticated by the worker (or the signed-in app user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: String,
    pub name: String,
    pub roles: Vec<Role>,
}

impl Actor {
    pub fn new(user_id: impl Into<String>, name: impl Into<String>, roles: Vec<Role>) -> Self {
        Actor {
            user_id: user_id.into(),
            name: name.into(),
            roles,
        }
    }

    pub fn staff_ref(&self) -> StaffRef {
        StaffRef::new(self.user_id.clone(), self.name.clone())
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has_role(*r))
    }

    pub fn is_admin(&self) -> bool {
        self.has_role(Role::Admin)
    }

    /// Whether the team's figures (everyone's 分析, not only their own) are theirs to see.
    pub fn sees_whole_team(&self) -> bool {
        self.has_any_role(&[Role::Admin, Role::Manager])
    }
}

impl Actor {
    /// The customer, acting through the customer page. `name` is how the history names them
    /// (the order's contact person); only the worker builds this actor.
    pub fn customer(name: &str) -> Actor {
        Actor::new(CUSTOMER_ACTOR_ID, customer_name(name), Vec::new())
    }

    pub fn is_customer(&self) -> bool {
        self.user_id == CUSTOMER_ACTOR_ID && self.roles.is_empty()
    }
}

fn customer_name(contact: &str) -> String {
    match contact.trim() {
        "" => "客户".to_string(),
        name => format!("客户 {name}"),
    }
}

/// Who the history names for changes the system makes by itself (renumbering, a process
/// migration, a customer lookup lock).
pub fn system_actor() -> StaffRef {
    StaffRef::new(SYSTEM_USER_ID, "系统")
}

const SYSTEM_USER_ID: &str = "system";
