//! `/orders/new` and `/orders/:id/edit`: the order form, saved on this device first (works
//! offline). Input is checked by the domain rules; each message appears next to its field.
//! Editing sends only the fields that changed (`EditFields`), so concurrent edits of other
//! fields by colleagues are kept when they sync.

use chrono::NaiveDate;
use domain::{Action, Customer, FieldChanges, LineItem, Money, Mutation, Order};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use uuid::Uuid;

use crate::{
    components::field::{DraftField, TextField},
    format,
    i18n::*,
    locale::current_lang,
    state::{
        form_drafts::{self, OrderFormDraft, OrderFormText},
        use_app_state,
    },
};

#[derive(Clone, Default)]
struct ItemRow {
    key: usize,
    product: RwSignal<String>,
    quantity: RwSignal<String>,
    unit: RwSignal<String>,
    unit_price: RwSignal<String>,
}

impl ItemRow {
    fn new(key: usize) -> Self {
        ItemRow {
            key,
            quantity: RwSignal::new("1".into()),
            ..ItemRow::default()
        }
    }

    fn from_text(key: usize, [product, quantity, unit, unit_price]: [String; 4]) -> Self {
        ItemRow {
            key,
            product: RwSignal::new(product),
            quantity: RwSignal::new(quantity),
            unit: RwSignal::new(unit),
            unit_price: RwSignal::new(unit_price),
        }
    }

    /// The row's boxes as text (tracked).
    fn text(&self) -> [String; 4] {
        [
            self.product.get(),
            self.quantity.get(),
            self.unit.get(),
            self.unit_price.get(),
        ]
    }

    fn from_item(key: usize, item: &LineItem) -> Self {
        let yuan = item.unit_price.format_cny();
        ItemRow {
            key,
            product: RwSignal::new(item.product.clone()),
            quantity: RwSignal::new(item.quantity.to_string()),
            unit: RwSignal::new(item.unit.clone()),
            unit_price: RwSignal::new(yuan.trim_start_matches('¥').to_string()),
        }
    }
}

/// A form-level problem: which field, and what to say.
#[derive(Clone, PartialEq)]
struct FieldError {
    field: String,
    message: String,
}

fn parse_items(rows: &[ItemRow], lang: domain::Lang) -> Result<Vec<LineItem>, FieldError> {
    let locale = crate::locale::locale_of(lang);
    rows.iter()
        .enumerate()
        .map(|(index, row)| {
            let line = index + 1;
            let quantity_text = row.quantity.get_untracked();
            let quantity = quantity_text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|q| *q > 0)
                .ok_or_else(|| FieldError {
                    field: "items".into(),
                    message: td_string!(locale, order_item_quantity, line).to_string(),
                })?;
            let unit_price =
                Money::parse_yuan(&row.unit_price.get_untracked()).map_err(|error| FieldError {
                    field: "items".into(),
                    message: td_string!(
                        locale,
                        order_item_price,
                        line,
                        reason = error.message(lang)
                    )
                    .to_string(),
                })?;
            Ok(LineItem {
                product: row.product.get_untracked(),
                quantity,
                unit: row.unit.get_untracked(),
                unit_price,
            })
        })
        .collect()
}

/// Where the form shows a field the rules name: the input to move focus to when it is wrong.
fn input_for(field: &str) -> Option<&'static str> {
    Some(match field {
        "customer.company" => "#company",
        "customer.contact" => "#contact",
        "customer.phone" => "#phone",
        "customer.email" => "#email",
        "customer.address" => "#address",
        "items" => ".item-row input",
        "number" => "#number",
        "expected_delivery" => "#delivery",
        "text" => "#note",
        _ => return None,
    })
}

/// A save that fails must not look dead when the field in error is off screen: focus moves to
/// it and it is scrolled to the middle of the view, with its message right under it.
fn focus_field(field: &str) {
    use wasm_bindgen::JsCast;
    let Some(selector) = input_for(field) else {
        return;
    };
    let element = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.query_selector(selector).ok().flatten())
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(element) = element {
        let _ = element.focus();
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Center);
        element.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

#[component]
pub fn NewOrderPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    move || {
        match state.permission(None, Action::CreateOrder) {
        Ok(()) => view! { <OrderForm existing=None /> }.into_any(),
        Err(problem) => view! {
            <section class="page">
                <h1>{t!(i18n, new_order_title)}</h1>
                <p class="notice notice-warn" data-testid="not-allowed">{problem.message(current_lang(i18n))}</p>
            </section>
        }
        .into_any(),
    }
    }
}

#[component]
pub fn EditOrderPage() -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let params = use_params_map();
    // The order as stored when the page opens; the form edits that snapshot (the mutation
    // carries only the changed fields, and `commit` applies them to the order as stored).
    let loaded = LocalResource::new(move || {
        let id = params
            .read()
            .get("id")
            .and_then(|id| Uuid::parse_str(&id).ok());
        let ready = state.is_ready();
        async move {
            match (id, ready) {
                (Some(id), true) => Some(state.open_order(id).await),
                (None, _) => Some(Ok(None)),
                (Some(_), false) => None,
            }
        }
    });
    let storage_failed = move || matches!(state.status.get(), Some(Err(_)));
    move || match loaded.get().flatten() {
        Some(Ok(Some(order))) => view! { <OrderForm existing=Some(order) /> }.into_any(),
        Some(Err(error)) => {
            let message = error.message(current_lang(i18n));
            view! { <p class="page notice notice-warn" role="alert">{message}</p> }.into_any()
        }
        None if !storage_failed() => {
            view! { <p class="page hint">{t!(i18n, storage_loading)}</p> }.into_any()
        }
        _ => view! { <p class="page notice notice-warn">{t!(i18n, order_not_on_device)}</p> }
            .into_any(),
    }
}

#[component]
fn OrderForm(existing: Option<Order>) -> impl IntoView {
    let i18n = use_i18n();
    let state = use_app_state();
    let navigate = use_navigate();
    let editing = existing.is_some();
    let original = StoredValue::new(existing.clone());
    let initial = |pick: fn(&Order) -> String| existing.as_ref().map(pick).unwrap_or_default();

    let company = RwSignal::new(initial(|o| o.customer.company.clone()));
    let contact = RwSignal::new(initial(|o| o.customer.contact.clone()));
    let phone = RwSignal::new(initial(|o| o.customer.phone.clone()));
    let email = RwSignal::new(initial(|o| o.customer.email.clone().unwrap_or_default()));
    let address = RwSignal::new(initial(|o| o.customer.address.clone().unwrap_or_default()));
    let number = RwSignal::new(initial(|o| o.number.as_str().to_string()));
    let delivery = RwSignal::new(initial(|o| {
        o.expected_delivery
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }));
    let note = RwSignal::new(String::new());
    let rows: Vec<ItemRow> = match &existing {
        Some(order) => order
            .items
            .iter()
            .enumerate()
            .map(|(key, item)| ItemRow::from_item(key, item))
            .collect(),
        None => vec![ItemRow::new(0)],
    };
    let next_key = StoredValue::new(rows.len());
    let items = RwSignal::new(rows);
    let error = RwSignal::new(None::<FieldError>);
    let saving = RwSignal::new(false);

    // What was typed and not saved is kept on the device (state::form_drafts) and comes back
    // when the form opens again: after leaving it, the back button, a reload.
    let boxes = [
        ("company", company),
        ("contact", contact),
        ("phone", phone),
        ("email", email),
        ("address", address),
        ("number", number),
        ("delivery", delivery),
        ("note", note),
    ];
    let form_text = move || OrderFormText {
        fields: boxes
            .iter()
            .map(|(id, signal)| (*id, signal.get()))
            .collect(),
        items: items.with(|rows| rows.iter().map(ItemRow::text).collect()),
    };
    let show_text = move |text: OrderFormText| {
        for (id, signal) in boxes {
            if let Some(value) = text.fields.get(id) {
                signal.set(value.clone());
            }
        }
        let first = next_key.get_value();
        next_key.set_value(first + text.items.len());
        items.set(
            text.items
                .into_iter()
                .enumerate()
                .map(|(n, row)| ItemRow::from_text(first + n, row))
                .collect(),
        );
    };
    let start = StoredValue::new(form_text());
    let draft_key = state.session.with_untracked(|session| {
        session.as_ref().map(|session| {
            form_drafts::draft_key(&session.user.id, existing.as_ref().map(|o| o.id))
        })
    });
    let restored = RwSignal::new(false);
    if let Some(draft) = draft_key.as_deref().and_then(form_drafts::load_draft) {
        show_text(draft.over(&start.get_value()));
        restored.set(true);
    }
    let draft_key = StoredValue::new(draft_key);
    Effect::new(move |_| {
        let typed = OrderFormDraft::typed(&start.get_value(), &form_text());
        if let Some(key) = draft_key.get_value() {
            form_drafts::keep_draft(&key, &typed);
        }
    });
    let discard = move |_| {
        show_text(start.get_value());
        restored.set(false);
        error.set(None);
        if let Some(key) = draft_key.get_value() {
            form_drafts::forget_draft(&key);
        }
    };

    let total = move || {
        items.with(|rows| {
            rows.iter().try_fold(Money::ZERO, |sum, row| {
                let quantity = row.quantity.get().trim().parse::<u32>().ok()?;
                let price = Money::parse_yuan(&row.unit_price.get()).ok()?;
                sum.checked_add(price.checked_mul(quantity).ok()?).ok()
            })
        })
    };
    let error_for = move |field: &'static str| {
        move || {
            error
                .get()
                .filter(|e| e.field == field || e.field.starts_with(&format!("{field}.")))
                .map(|e| {
                    view! { <p class="field-error" role="alert">{e.message}</p> }
                })
        }
    };
    let general_error = move || {
        error
            .get()
            .filter(|e| {
                ![
                    "customer.company",
                    "customer.contact",
                    "customer.phone",
                    "customer.email",
                    "customer.address",
                    "items",
                    "number",
                    "text",
                    "expected_delivery",
                ]
                .contains(&e.field.as_str())
            })
            .map(|e| view! { <p class="notice notice-warn" role="alert">{e.message}</p> })
    };

    // Shows a problem next to its field and takes the person there.
    let fail = move |problem: FieldError| {
        let field = problem.field.clone();
        error.set(Some(problem));
        focus_field(&field);
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let lang = current_lang(i18n);
        let optional = |signal: RwSignal<String>| {
            let text = signal.get_untracked();
            (!text.trim().is_empty()).then_some(text)
        };
        let customer = Customer {
            company: company.get_untracked(),
            contact: contact.get_untracked(),
            phone: phone.get_untracked(),
            email: optional(email),
            address: optional(address),
        };
        // Fields in the order they appear: the customer's problems come before the items'.
        if let Err(problem) = customer.validated() {
            let field = problem.field().unwrap_or_default().to_string();
            fail(FieldError {
                field,
                message: problem.message(lang),
            });
            return;
        }
        let parsed_items = match items.with_untracked(|rows| parse_items(rows, lang)) {
            Ok(parsed) => parsed,
            Err(problem) => {
                fail(problem);
                return;
            }
        };
        let expected_delivery = match delivery.get_untracked().trim() {
            "" => None,
            text => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(date) => Some(date),
                Err(_) => {
                    fail(FieldError {
                        field: "expected_delivery".into(),
                        message: t_string!(i18n, form_bad_date).to_string(),
                    });
                    return;
                }
            },
        };
        let mutation = match original.get_value() {
            Some(order) => {
                let typed_number = number.get_untracked().trim().to_string();
                let changes = FieldChanges {
                    number: (typed_number != order.number.as_str()).then_some(typed_number),
                    customer: (customer != order.customer).then_some(customer),
                    items: (parsed_items != order.items).then_some(parsed_items),
                    expected_delivery: (expected_delivery != order.expected_delivery)
                        .then_some(expected_delivery),
                };
                Mutation::EditFields {
                    order_id: order.id,
                    changes,
                }
            }
            None => create_mutation(
                customer,
                parsed_items,
                expected_delivery,
                optional(number),
                optional(note),
            ),
        };
        saving.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match state.commit(mutation).await {
                Ok(order) => {
                    error.set(None);
                    if let Some(key) = draft_key.get_value() {
                        form_drafts::forget_draft(&key);
                    }
                    // The saved form is not a page to go back to (返回 showed it empty).
                    let replace = leptos_router::NavigateOptions {
                        replace: true,
                        ..Default::default()
                    };
                    navigate(&format!("/orders/{}", order.id), replace);
                }
                Err(problem) => fail(FieldError {
                    field: problem.field().unwrap_or("").to_string(),
                    message: problem.message(current_lang(i18n)),
                }),
            }
            saving.set(false);
        });
    };

    // 客户档案: the companies of this device's orders are offered as the company is typed;
    // picking one (or typing its exact name) fills the fields still blank from its last order.
    let known_companies = Memo::new(move |_| {
        state.cards.with(|cards| {
            domain::customers(cards.values())
                .into_iter()
                .map(|customer| customer.company)
                .collect::<Vec<_>>()
        })
    });
    let company_typed = Callback::new(move |typed: String| {
        company.set(typed.clone());
        if editing {
            return;
        }
        let Some(known) = state
            .cards
            .with_untracked(|cards| domain::customer_named(cards.values(), &typed))
        else {
            return;
        };
        leptos::task::spawn_local(async move {
            let Ok(Some(earlier)) = state.read_order(known.latest_order).await else {
                return;
            };
            let optional = |signal: RwSignal<String>| {
                let text = signal.get_untracked();
                (!text.trim().is_empty()).then_some(text)
            };
            let mut customer = Customer {
                company: company.get_untracked(),
                contact: contact.get_untracked(),
                phone: phone.get_untracked(),
                email: optional(email),
                address: optional(address),
            };
            customer.fill_blanks_from(&earlier.customer);
            contact.set(customer.contact);
            phone.set(customer.phone);
            email.set(customer.email.unwrap_or_default());
            address.set(customer.address.unwrap_or_default());
        });
    });

    // The message for one form field (the domain names fields like `customer.company`).
    let message_for = move |field: &'static str| {
        Signal::derive(move || error.get().filter(|e| e.field == field).map(|e| e.message))
    };

    view! {
        <section class="page">
            <h1>
                {move || {
                    if editing {
                        t_string!(i18n, edit_order_title)
                    } else {
                        t_string!(i18n, new_order_title)
                    }
                }}
            </h1>
            <Show when=move || restored.get()>
                <div class="notice draft-restored" role="status" data-testid="draft-restored">
                    <span>{t!(i18n, form_draft_restored)}</span>
                    <button type="button" class="secondary" data-testid="discard-draft" on:click=discard>
                        {t!(i18n, form_draft_discard)}
                    </button>
                </div>
            </Show>
            <form class="order-form" on:submit=submit novalidate>
                <fieldset>
                    <legend>{t!(i18n, form_customer)}</legend>
                    <DraftField id="company" value=company on_input=company_typed list="known-companies" autocomplete="off" required=true error=message_for("customer.company")>{t!(i18n, form_company)}</DraftField>
                    <datalist id="known-companies">
                        {move || known_companies.get().into_iter().map(|name| view! { <option value=name></option> }).collect_view()}
                    </datalist>
                    <TextField id="contact" value=contact required=true error=message_for("customer.contact")>{t!(i18n, form_contact)}</TextField>
                    <TextField id="phone" value=phone kind="tel" required=true error=message_for("customer.phone")>{t!(i18n, form_phone)}</TextField>
                    <TextField id="email" value=email kind="email" error=message_for("customer.email")>{t!(i18n, form_email)}</TextField>
                    <TextField id="address" value=address error=message_for("customer.address")>{t!(i18n, form_address)}</TextField>
                </fieldset>
                <fieldset>
                    <legend>{t!(i18n, form_items)}</legend>
                    <For each=move || items.get() key=|row| row.key let:row>
                        // Each box keeps its label in sight once something is typed, and the
                        // product gets the whole width (names run long: "不锈钢法兰 DN100").
                        <div class="item-row" data-testid="item-row">
                            <label class="item-field item-product">
                                <span class="item-label">{t!(i18n, form_product)}</span>
                                <input
                                    prop:value=row.product
                                    on:input=move |event| row.product.set(event_target_value(&event))
                                />
                            </label>
                            <label class="item-field item-quantity">
                                <span class="item-label">{t!(i18n, form_quantity)}</span>
                                <input
                                    inputmode="numeric"
                                    prop:value=row.quantity
                                    on:input=move |event| row.quantity.set(event_target_value(&event))
                                />
                            </label>
                            <label class="item-field item-unit">
                                <span class="item-label">{t!(i18n, form_unit)}</span>
                                <input
                                    list="units"
                                    prop:value=row.unit
                                    on:input=move |event| row.unit.set(event_target_value(&event))
                                />
                            </label>
                            <label class="item-field item-price">
                                <span class="item-label">{t!(i18n, form_unit_price)}</span>
                                <input
                                    inputmode="decimal"
                                    prop:value=row.unit_price
                                    on:input=move |event| row.unit_price.set(event_target_value(&event))
                                />
                            </label>
                            <button
                                type="button"
                                class="icon-button"
                                aria-label=move || t_string!(i18n, form_remove_item).to_string()
                                disabled=move || items.with(|rows| rows.len() <= 1)
                                on:click=move |_| items.update(|rows| rows.retain(|r| r.key != row.key))
                            >
                                "×"
                            </button>
                        </div>
                    </For>
                    <datalist id="units">
                        {domain::order::COMMON_UNITS.iter().map(|unit| view! { <option value=*unit></option> }).collect_view()}
                    </datalist>
                    {error_for("items")}
                    <div class="form-row">
                        <button
                            type="button"
                            class="secondary"
                            on:click=move |_| {
                                let key = next_key.get_value();
                                next_key.set_value(key + 1);
                                items.update(|rows| rows.push(ItemRow::new(key)));
                            }
                        >
                            {t!(i18n, form_add_item)}
                        </button>
                        <span class="form-total" data-testid="form-total">
                            {t!(i18n, form_total)}
                            " "
                            {move || total().map(format::money).unwrap_or_else(|| "—".into())}
                        </span>
                    </div>
                </fieldset>
                <fieldset>
                    <legend>{t!(i18n, form_order)}</legend>
                    <TextField id="number" value=number error=message_for("number")>{t!(i18n, form_number)}</TextField>
                    <TextField id="delivery" value=delivery kind="date" error=message_for("expected_delivery")>{t!(i18n, form_delivery)}</TextField>
                    <div class="field" class:hidden=editing>
                        <label for="note">{t!(i18n, form_note)}</label>
                        <textarea
                            id="note"
                            name="note"
                            rows="3"
                            prop:value=note
                            on:input=move |event| note.set(event_target_value(&event))
                        ></textarea>
                        {error_for("text")}
                    </div>
                </fieldset>
                {general_error}
                <button type="submit" class="primary wide" disabled=move || saving.get()>
                    {t!(i18n, form_save)}
                </button>
            </form>
        </section>
    }
}

fn create_mutation(
    customer: Customer,
    items: Vec<LineItem>,
    expected_delivery: Option<NaiveDate>,
    number: Option<String>,
    note: Option<String>,
) -> Mutation {
    Mutation::CreateOrder {
        order_id: Uuid::new_v4(),
        number,
        customer,
        items,
        expected_delivery,
        owner: None,
        note_id: note.as_ref().map(|_| Uuid::new_v4()),
        note,
    }
}
