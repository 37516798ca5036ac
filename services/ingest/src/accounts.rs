//! Clients, branches and users: the lookups login needs and the creation an operator does.

use shared::token::Role;
use sqlx::{FromRow, MySqlPool};

use crate::password;

/// A user as login sees it.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub client_id: u64,
    pub branch_id: u64,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
}

#[derive(FromRow)]
struct UserRow {
    id: u64,
    client_id: u64,
    branch_id: u64,
    username: String,
    password_hash: String,
    role: String,
    disabled: bool,
}

impl TryFrom<UserRow> for User {
    type Error = sqlx::Error;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        let role = Role::parse(&row.role)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {:?}", row.role).into()))?;
        Ok(User {
            id: row.id,
            client_id: row.client_id,
            branch_id: row.branch_id,
            username: row.username,
            password_hash: row.password_hash,
            role,
            disabled: row.disabled,
        })
    }
}

const SELECT_USER: &str =
    "SELECT id, client_id, branch_id, username, password_hash, CAST(role AS CHAR) AS role, disabled FROM users";

pub async fn find_by_username(pool: &MySqlPool, username: &str) -> sqlx::Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(&format!("{SELECT_USER} WHERE username = ?"))
        .bind(username)
        .fetch_optional(pool)
        .await?;
    row.map(User::try_from).transpose()
}

pub async fn find_by_id(pool: &MySqlPool, id: u64) -> sqlx::Result<Option<User>> {
    let row: Option<UserRow> = sqlx::query_as(&format!("{SELECT_USER} WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.map(User::try_from).transpose()
}

/// Creates a client (tenant) and its change counter; returns its id.
pub async fn create_client(pool: &MySqlPool, name: &str) -> anyhow::Result<u64> {
    let mut tx = pool.begin().await?;
    let id = sqlx::query("INSERT INTO clients (name) VALUES (?)")
        .bind(name)
        .execute(&mut *tx)
        .await?
        .last_insert_id();
    sqlx::query("INSERT INTO change_counters (client_id) VALUES (?)")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Creates a branch of `client_id`; returns its id.
pub async fn create_branch(pool: &MySqlPool, client_id: u64, name: &str) -> anyhow::Result<u64> {
    let id = sqlx::query("INSERT INTO branches (client_id, name) VALUES (?, ?)")
        .bind(client_id)
        .bind(name)
        .execute(pool)
        .await?
        .last_insert_id();
    Ok(id)
}

/// What an operator gives to create a user.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub client_id: u64,
    pub branch_id: u64,
    pub username: &'a str,
    pub password: &'a str,
    pub role: Role,
}

/// Creates a user with an argon2 hash of its password; the branch must be the client's.
pub async fn create_user(pool: &MySqlPool, user: &NewUser<'_>) -> anyhow::Result<u64> {
    let owner: Option<u64> = sqlx::query_scalar("SELECT client_id FROM branches WHERE id = ?")
        .bind(user.branch_id)
        .fetch_optional(pool)
        .await?;
    anyhow::ensure!(
        owner == Some(user.client_id),
        "branch {} is not a branch of client {}",
        user.branch_id,
        user.client_id
    );
    anyhow::ensure!(!user.username.trim().is_empty(), "the username is empty");
    anyhow::ensure!(
        user.password.len() >= 8,
        "the password is shorter than 8 characters"
    );
    let password = user.password.to_owned();
    let hash = tokio::task::spawn_blocking(move || password::hash(&password)).await??;
    let id = sqlx::query(
        "INSERT INTO users (client_id, branch_id, username, password_hash, role) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(user.client_id)
    .bind(user.branch_id)
    .bind(user.username.trim())
    .bind(hash)
    .bind(user.role.as_str())
    .execute(pool)
    .await?
    .last_insert_id();
    Ok(id)
}
