//! Generates the typed translation module from `locales/*.json` (leptos_i18n's codegen), so a
//! missing or misspelled key is a compile error, not a blank label on a phone.

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::{error::Error, path::PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-changed=Cargo.toml");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    // `interpolate_display` lets attributes and plain strings (not only views) interpolate.
    let options = ParseOptions::default().interpolate_display(true);
    let config = Config::new("zh")?.add_locale("en")?.parse_options(options);
    let translations = TranslationsInfos::parse(config)?;
    translations.emit_diagnostics();
    translations.rerun_if_locales_changed();
    translations.generate_i18n_module(out_dir.join("i18n"))?;
    Ok(())
}
