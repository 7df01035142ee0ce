//! `/desk/team`: the admin's team screen — add a member, set roles and work phone, disable or enable
//! an account, reset a password. Accounts live on the server only, so this screen needs the
//! network; the server checks the admin role on every call, the screen only saves a wasted trip.

use domain::{wire::role_names, Role};
use leptos::prelude::*;

use crate::{
    api::{self, ApiError, MemberChanges, User},
    components::field::DraftField,
    i18n::*,
    locale::current_lang,
    network::use_online,
    state::{use_app_state, AppState},
};
use leptos_i18n::I18nContext;

use super::member_draft::MemberDraft;

#[component]
pub fn TeamPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let online = use_online();
    let token = move || {
        state
            .session
            .with(|session| session.as_ref().map(|session| session.token.clone()))
    };
    let is_admin = move || state.is_admin();
    // Bumped after every change so the list is read again from the server.
    let revision = RwSignal::new(0u32);
    let members = LocalResource::new(move || {
        revision.track();
        let token = token().filter(|_| is_admin() && online.get());
        async move {
            match token {
                Some(token) => Some(api::list_members(&token).await),
                None => None,
            }
        }
    });
    let lang = move || current_lang(i18n);
    view! {
        <section class="page team">
            <h1>{t!(i18n, team_title)}</h1>
            // The add form comes first: adding people is what an admin comes here for most.
            <Show when=move || is_admin() && online.get()>
                <AddMember revision />
            </Show>
            {move || {
                if !is_admin() {
                    return view! { <p class="notice notice-warn">{t!(i18n, team_admins_only)}</p> }.into_any();
                }
                if !online.get() {
                    return view! { <p class="notice notice-warn">{t!(i18n, team_needs_network)}</p> }.into_any();
                }
                match members.get().flatten() {
                    None => view! { <p class="hint">{t!(i18n, team_loading)}</p> }.into_any(),
                    Some(Err(problem)) => view! { <p class="notice notice-warn" role="alert">{problem.message(lang())}</p> }.into_any(),
                    Some(Ok(list)) => view! { <Members list revision /> }.into_any(),
                }
            }}
        </section>
    }
}

/// The members to list: those with `role` (all when `None`) whose name or login contains
/// `query`, sorted by name as a Chinese reader expects (pinyin order, through the browser's
/// collation).
pub fn members_to_show(members: &[User], role: Option<Role>, query: &str) -> Vec<User> {
    let query = query.trim().to_lowercase();
    let mut shown: Vec<User> = members
        .iter()
        .filter(|member| role.is_none_or(|role| member.roles.contains(&role)))
        .filter(|member| {
            query.is_empty()
                || member.name.to_lowercase().contains(&query)
                || member.login.to_lowercase().contains(&query)
        })
        .cloned()
        .collect();
    let locales = js_sys::Array::of1(&"zh-CN".into());
    domain::sorting::sort_by(&mut shown, |a, b| {
        let order = js_sys::JsString::from(a.name.as_str()).locale_compare(
            &b.name,
            &locales,
            &js_sys::Object::new(),
        );
        order.cmp(&0).then_with(|| a.login.cmp(&b.login))
    });
    shown
}

/// The member list with a search box and one filter chip per role in use.
#[component]
fn Members(list: Vec<User>, revision: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let lang = move || current_lang(i18n);
    let role = RwSignal::new(None::<Role>);
    let query = RwSignal::new(String::new());
    let roles_in_use: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|role| list.iter().any(|member| member.roles.contains(role)))
        .collect();
    let list = StoredValue::new(list);
    let chip = move |choice: Option<Role>| {
        view! {
            <button
                type="button"
                class="chip"
                aria-pressed=move || (role.get() == choice).to_string()
                on:click=move |_| role.set(choice)
            >
                {move || match choice {
                    Some(choice) => choice.label(lang()).to_string(),
                    None => t_string!(i18n, team_all_roles).to_string(),
                }}
            </button>
        }
    };
    view! {
        <div class="member-filters">
            <input
                type="search"
                class="search"
                aria-label=move || t_string!(i18n, team_search).to_string()
                placeholder=move || t_string!(i18n, team_search).to_string()
                prop:value=query
                on:input=move |event| query.set(event_target_value(&event))
            />
            <div class="chips" data-testid="role-filter">
                {chip(None)}
                {roles_in_use.into_iter().map(|choice| chip(Some(choice))).collect_view()}
            </div>
        </div>
        <ul class="member-list" data-testid="member-list">
            {move || {
                let shown = list.with_value(|list| members_to_show(list, role.get(), &query.get()));
                shown.into_iter().map(|member| view! { <MemberRow member revision /> }).collect_view()
            }}
        </ul>
    }
}

/// Role checkboxes, one per role: `is_on` says whether a role is ticked, `set` is told of a tap.
#[component]
pub(super) fn RolePicker(
    id: String,
    is_on: Callback<Role, bool>,
    set: Callback<(Role, bool)>,
) -> impl IntoView {
    let i18n = use_i18n();
    let lang = move || current_lang(i18n);
    view! {
        <fieldset class="role-picker">
            <legend>{t!(i18n, team_roles)}</legend>
            {Role::ALL.into_iter().map(|role| {
                let input_id = format!("{id}-{}", role.as_str());
                let label_for = input_id.clone();
                view! {
                    <label class="check" for=label_for>
                        <input
                            id=input_id
                            type="checkbox"
                            prop:checked=move || is_on.run(role)
                            on:change=move |event| set.run((role, event_target_checked(&event)))
                        />
                        <span>{move || role.label(lang())}</span>
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

/// A `RolePicker` over a list of roles held in a signal (an existing member's roles).
fn pick_into(chosen: RwSignal<Vec<Role>>) -> (Callback<Role, bool>, Callback<(Role, bool)>) {
    (
        Callback::new(move |role| chosen.with(|roles| roles.contains(&role))),
        Callback::new(move |(role, on): (Role, bool)| {
            chosen.update(|roles| {
                roles.retain(|r| *r != role);
                if on {
                    roles.push(role);
                }
            })
        }),
    )
}

/// One admin call with the signed-in token; the outcome's message lands in `message`.
#[derive(Clone, Copy)]
struct AdminCall {
    state: AppState,
    i18n: I18nContext<Locale>,
}

impl AdminCall {
    fn new() -> Self {
        AdminCall {
            state: use_app_state(),
            i18n: use_i18n(),
        }
    }

    fn run<F, Fut>(self, message: RwSignal<Option<Result<String, String>>>, done: String, call: F)
    where
        F: FnOnce(String) -> Fut + 'static,
        Fut: std::future::Future<Output = Result<(), ApiError>> + 'static,
    {
        let token = self
            .state
            .session
            .with_untracked(|session| session.as_ref().map(|session| session.token.clone()));
        let lang = current_lang(self.i18n);
        leptos::task::spawn_local(async move {
            let Some(token) = token else {
                return;
            };
            message.set(Some(match call(token).await {
                Ok(()) => Ok(done),
                Err(problem) => Err(problem.message(lang)),
            }));
        });
    }
}

#[component]
fn Message(message: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    move || {
        message.get().map(|outcome| match outcome {
            Ok(text) => view! { <p class="hint" role="status">{text}</p> }.into_any(),
            Err(text) => view! { <p class="field-error" role="alert">{text}</p> }.into_any(),
        })
    }
}

#[component]
fn MemberRow(member: User, revision: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let lang = move || current_lang(i18n);
    let open = RwSignal::new(false);
    let roles = RwSignal::new(member.roles.clone());
    let work_phone = RwSignal::new(member.work_phone.clone().unwrap_or_default());
    let new_password = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let call = AdminCall::new();
    let id = member.id.clone();
    let role_labels = member
        .roles
        .iter()
        .map(|role| role.label(lang()))
        .collect::<Vec<_>>()
        .join("、");
    let active = member.active;

    let save = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            let phone = work_phone.get_untracked().trim().to_string();
            let changes = MemberChanges {
                roles: Some(role_names(&roles.get_untracked())),
                work_phone: Some((!phone.is_empty()).then_some(phone)),
                ..MemberChanges::default()
            };
            let done = t_string!(i18n, team_saved).to_string();
            call.run(message, done, move |token| async move {
                api::change_member(&token, &id, &changes).await?;
                revision.update(|n| *n += 1);
                Ok(())
            });
        }
    };
    let toggle_active = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            let changes = MemberChanges {
                active: Some(!active),
                ..Default::default()
            };
            let done = t_string!(i18n, team_saved).to_string();
            call.run(message, done, move |token| async move {
                api::change_member(&token, &id, &changes).await?;
                revision.update(|n| *n += 1);
                Ok(())
            });
        }
    };
    let reset = {
        let id = id.clone();
        move |_| {
            let id = id.clone();
            let password = new_password.get_untracked();
            let done = t_string!(i18n, team_password_reset_done).to_string();
            call.run(message, done, move |token| async move {
                api::reset_password(&token, &id, &password).await?;
                new_password.set(String::new());
                Ok(())
            });
        }
    };
    let (roles_on, set_role) = pick_into(roles);
    let field_id = |what: &str| format!("member-{}-{what}", member.id);
    let (phone_id, password_id, roles_id) =
        (field_id("phone"), field_id("password"), field_id("role"));
    view! {
        <li class="member" class:member-disabled=!active data-testid="member" data-login=member.login.clone()>
            <button type="button" class="member-head" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>
                <span class="member-name">{member.name.clone()}</span>
                <span class="member-login">{member.login.clone()}</span>
                <span class="member-roles">{role_labels}</span>
                {(!active).then(|| view! { <span class="badge badge-overdue">{t!(i18n, team_disabled)}</span> })}
            </button>
            <Show when=move || open.get()>
                <div class="member-edit">
                    <RolePicker id=roles_id.clone() is_on=roles_on set=set_role />
                    <div class="field">
                        <label for=phone_id.clone()>{t!(i18n, team_work_phone)}</label>
                        <input id=phone_id.clone() type="tel" prop:value=work_phone on:input=move |event| work_phone.set(event_target_value(&event)) />
                    </div>
                    <button type="button" class="primary" on:click=save.clone()>{t!(i18n, team_save)}</button>
                    <div class="field">
                        <label for=password_id.clone()>{t!(i18n, team_new_password)}</label>
                        <input id=password_id.clone() type="password" autocomplete="new-password" prop:value=new_password on:input=move |event| new_password.set(event_target_value(&event)) />
                    </div>
                    <button type="button" class="secondary" on:click=reset.clone()>{t!(i18n, team_reset_password)}</button>
                    <button type="button" class=if active { "danger" } else { "secondary" } on:click=toggle_active.clone()>
                        {if active { t_string!(i18n, team_disable) } else { t_string!(i18n, team_enable) }}
                    </button>
                </div>
            </Show>
            <Message message />
        </li>
    }
}

#[component]
fn AddMember(revision: RwSignal<u32>) -> impl IntoView {
    let i18n = use_i18n();
    let draft = RwSignal::new(MemberDraft::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let call = AdminCall::new();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let member = draft.with_untracked(MemberDraft::to_new_member);
        let done = t_string!(i18n, team_added, name = member.name.clone()).to_string();
        call.run(message, done, move |token| async move {
            api::add_member(&token, &member).await?;
            // The next person starts from an empty form, roles included.
            draft.set(MemberDraft::new());
            revision.update(|n| *n += 1);
            Ok(())
        });
    };
    let text = |read: fn(&MemberDraft) -> &String, write: fn(&mut MemberDraft) -> &mut String| {
        (
            Signal::derive(move || draft.with(|d| read(d).clone())),
            Callback::new(move |typed: String| draft.update(|d| *write(d) = typed)),
        )
    };
    let (name, set_name) = text(|d| &d.name, |d| &mut d.name);
    let (login, set_login) = text(|d| &d.login, |d| &mut d.login);
    let (password, set_password) = text(|d| &d.password, |d| &mut d.password);
    let (phone, set_phone) = text(|d| &d.work_phone, |d| &mut d.work_phone);
    let roles_on = Callback::new(move |role| draft.with(|d| d.has_role(role)));
    let set_role = Callback::new(move |(role, on)| draft.update(|d| d.set_role(role, on)));
    view! {
        <form class="field-group add-member" on:submit=submit novalidate>
            <legend>{t!(i18n, team_add)}</legend>
            <DraftField id="member-name" value=name on_input=set_name required=true>{t!(i18n, team_name)}</DraftField>
            <DraftField id="member-login" value=login on_input=set_login required=true autocomplete="off">{t!(i18n, team_login)}</DraftField>
            <DraftField id="member-password" value=password on_input=set_password kind="password" required=true autocomplete="new-password">{t!(i18n, team_password)}</DraftField>
            <DraftField id="member-phone" value=phone on_input=set_phone kind="tel">{t!(i18n, team_work_phone)}</DraftField>
            <RolePicker id="new-member-role".to_string() is_on=roles_on set=set_role />
            <button type="submit" class="primary wide">{t!(i18n, team_add_submit)}</button>
            <Message message />
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn member(name: &str, login: &str, roles: Vec<Role>) -> User {
        User {
            id: format!("u-{login}"),
            name: name.into(),
            login: login.into(),
            roles,
            active: true,
            work_phone: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    #[wasm_bindgen_test]
    fn members_are_listed_in_pinyin_order_filtered_by_role_and_search() {
        let team = vec![
            member("张伟", "13758114477", vec![Role::Warehouse]),
            member("王芳", "13857123456", vec![Role::Sales]),
            member("李强", "13588002211", vec![Role::Legal]),
            member("管理员", "13800000000", vec![Role::Admin]),
            member("孙磊", "13967198765", vec![Role::Sales, Role::Service]),
        ];
        let names = |shown: Vec<User>| shown.into_iter().map(|m| m.name).collect::<Vec<_>>();
        assert_eq!(
            names(members_to_show(&team, None, "")),
            ["管理员", "李强", "孙磊", "王芳", "张伟"]
        );
        assert_eq!(
            names(members_to_show(&team, Some(Role::Sales), "")),
            ["孙磊", "王芳"]
        );
        assert_eq!(names(members_to_show(&team, None, "1375")), ["张伟"]);
        assert_eq!(
            names(members_to_show(&team, Some(Role::Sales), "王")),
            ["王芳"]
        );
    }
}
