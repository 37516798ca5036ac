//! The shops of one run, made in the cluster's database: each with two branches and a
//! cashier per branch (user names unique to the run, so runs never meet).

use shared::token::Role;
use sqlx::MySqlPool;

pub const PASSWORD: &str = "chaos-password";

pub struct Shop {
    pub client_id: u64,
    pub branches: Vec<u64>,
    pub prefix: String,
}

impl Shop {
    pub fn cashier(&self, branch: usize) -> String {
        format!("{}-b{branch}-cashier", self.prefix)
    }
}

pub async fn create(pool: &MySqlPool, run: &str, shops: usize) -> anyhow::Result<Vec<Shop>> {
    let mut out = Vec::new();
    for s in 0..shops {
        let prefix = format!("{run}-s{s}");
        let client_id =
            ingest::accounts::create_client(pool, &format!("chaos shop {prefix}")).await?;
        let mut branches = Vec::new();
        for b in 0..2 {
            let branch_id =
                ingest::accounts::create_branch(pool, client_id, &format!("branch {b}")).await?;
            let username = format!("{prefix}-b{b}-cashier");
            let user = ingest::accounts::NewUser {
                client_id,
                branch_id,
                username: &username,
                password: PASSWORD,
                role: Role::Cashier,
            };
            ingest::accounts::create_user(pool, &user).await?;
            branches.push(branch_id);
        }
        out.push(Shop {
            client_id,
            branches,
            prefix,
        });
    }
    Ok(out)
}
