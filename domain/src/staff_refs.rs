//! Staff references a device sends (an order's owner, a stage's responsible person) are claims:
//! the server resolves them against its active team before deciding, so an order can never be
//! owned by someone who does not exist, nor by a real user under another name (the customer page
//! shows the owner's name with their work phone) — issue 19 item 9.

use std::collections::HashMap;

use crate::error::DomainError;
use crate::mutation::Mutation;
use crate::staff::StaffRef;

/// The active team as the server knows it: user id → name.
pub type Directory = HashMap<String, String>;

/// `mutation` with every staff reference it carries resolved against `directory`: the name is
/// the directory's, whatever the device sent; a reference to no active user is refused.
pub fn resolve_staff(mutation: &Mutation, directory: &Directory) -> Result<Mutation, DomainError> {
    let resolve = |staff: &StaffRef, field: &str| -> Result<StaffRef, DomainError> {
        match directory.get(&staff.user_id) {
            Some(name) => Ok(StaffRef::new(staff.user_id.clone(), name.clone())),
            None => Err(DomainError::invalid(
                field,
                format!("“{}”不是团队中的在职成员，请重新选择", staff.name),
                format!(
                    "“{}” is not an active member of the team; choose again",
                    staff.name
                ),
            )),
        }
    };
    let mut resolved = mutation.clone();
    match &mut resolved {
        Mutation::CreateOrder {
            owner: Some(owner), ..
        } => *owner = resolve(owner, "owner")?,
        Mutation::Assign { owner, .. } => *owner = resolve(owner, "owner")?,
        Mutation::SetStageResponsible { responsible, .. } => {
            *responsible = resolve(responsible, "responsible")?
        }
        _ => {}
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn directory() -> Directory {
        HashMap::from([("u-zhangwei".to_string(), "张伟".to_string())])
    }

    #[test]
    fn names_come_from_the_directory_and_strangers_are_refused() {
        let assign = |id: &str, name: &str| Mutation::Assign {
            order_id: Uuid::nil(),
            owner: StaffRef::new(id, name),
        };
        assert_eq!(
            resolve_staff(&assign("u-zhangwei", "冒名顶替"), &directory()),
            Ok(assign("u-zhangwei", "张伟"))
        );
        let Err(DomainError::Invalid { field, message }) =
            resolve_staff(&assign("u-ghost", "幽灵"), &directory())
        else {
            panic!("a stranger is refused");
        };
        assert_eq!(field, "owner");
        assert!(message.zh.contains("幽灵"));
    }
}
