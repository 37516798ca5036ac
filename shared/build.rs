//! Rebuilds `shared` when a migration changes: `sqlx::migrate!` embeds the directory.

fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
