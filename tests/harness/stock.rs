//! Stock for simulated tills (possync-sim and possync-chaos): each branch's products start
//! at [`START_STOCK`] and tills sell them by increments of the branch's rows.

use std::collections::HashSet;

use possync_client::Client;
use serde_json::json;

/// The quantity each stock row starts with.
pub const START_STOCK: i64 = 1_000_000;

/// The record id of `product`'s stock row in branch `branch_id`.
pub fn stock_row(branch_id: u64, product: usize) -> String {
    format!("b{branch_id}-p{product}")
}

/// The first till of each branch (`tills` as branch and client) stocks `products` products
/// at [`START_STOCK`] and pushes them; every till then pulls them.
pub async fn stock_branches(tills: &[(u64, &Client)], products: usize) -> anyhow::Result<()> {
    let mut stocked = HashSet::new();
    for (branch_id, client) in tills {
        if stocked.insert(*branch_id) {
            for product in 0..products {
                let stock = json!({"product_id": format!("p{product}"), "quantity": START_STOCK});
                client
                    .edit("product_stock", &stock_row(*branch_id, product), stock)
                    .await?;
            }
            client.push().await?;
        }
    }
    for (_, client) in tills {
        client.pull().await?;
    }
    Ok(())
}
