//! The team screen's "add a member" form as plain data. A new member starts with no role ticked
//! (the admin chooses every role a person gets: a pre-ticked 销售 was saved along with the role
//! the admin meant), and the whole form, roles included, is empty again once the member is added.

use domain::{wire::NewMember, Role};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemberDraft {
    pub name: String,
    pub login: String,
    pub password: String,
    pub work_phone: String,
    roles: Vec<Role>,
}

impl MemberDraft {
    pub fn new() -> Self {
        MemberDraft::default()
    }

    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Ticks or unticks one role; the roles stay in the order the screen lists them.
    pub fn set_role(&mut self, role: Role, on: bool) {
        self.roles.retain(|r| *r != role);
        if on {
            self.roles.push(role);
        }
        domain::sorting::sort_by_key(&mut self.roles, |role| {
            Role::ALL.iter().position(|r| r == role)
        });
    }

    /// The request that adds the member (the server checks every field and that a role is
    /// chosen, with its message).
    pub fn to_new_member(&self) -> NewMember {
        let phone = self.work_phone.trim();
        NewMember {
            name: self.name.trim().to_string(),
            login: self.login.trim().to_string(),
            password: self.password.clone(),
            roles: domain::wire::role_names(&self.roles),
            work_phone: (!phone.is_empty()).then(|| phone.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_new_member_gets_only_the_roles_the_admin_ticked() {
        let mut draft = MemberDraft::new();
        assert!(draft.roles().is_empty(), "nothing is ticked at first");
        draft.name = " 赵六 ".into();
        draft.login = "13700000001".into();
        draft.password = "secret-123".into();
        draft.set_role(Role::Warehouse, true);
        let member = draft.to_new_member();
        assert_eq!(member.roles, vec!["warehouse".to_string()]);
        assert_eq!(member.name, "赵六");
        assert_eq!(member.work_phone, None);
    }

    #[wasm_bindgen_test]
    fn unticking_removes_a_role_and_the_list_keeps_the_screen_order() {
        let mut draft = MemberDraft::new();
        draft.set_role(Role::Finance, true);
        draft.set_role(Role::Sales, true);
        draft.set_role(Role::Finance, true);
        assert_eq!(draft.roles(), [Role::Sales, Role::Finance]);
        draft.set_role(Role::Sales, false);
        assert_eq!(draft.roles(), [Role::Finance]);
    }
}
