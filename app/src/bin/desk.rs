//! The desk bundle (see `app::bundle`): admin and manager screens, loaded only when opened.
fn main() {
    app::mount_desk();
}
