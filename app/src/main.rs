fn main() {
    app::mount_field();
}
