//! Which alerts of `deploy/prometheus/` the cluster's Prometheus had pending or firing
//! during a fault: a fault whose alert never fires is a finding. Faults shorter than an
//! alert's `for:` show it pending only.

use std::collections::BTreeMap;

use serde_json::Value;

/// `alertname (firing|pending)` for each alert active between Unix seconds `from` and `to`,
/// with the furthest state it reached.
pub async fn during(prometheus_port: u16, from: f64, to: f64) -> anyhow::Result<Vec<String>> {
    let url = format!("http://127.0.0.1:{prometheus_port}/api/v1/query_range");
    let answer: Value = reqwest::Client::new()
        .get(url)
        .query(&[
            ("query", "ALERTS".to_owned()),
            ("start", format!("{from:.3}")),
            ("end", format!("{to:.3}")),
            ("step", "1".to_owned()),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let mut states: BTreeMap<String, bool> = BTreeMap::new();
    for series in answer["data"]["result"].as_array().into_iter().flatten() {
        let name = series["metric"]["alertname"].as_str().unwrap_or("?");
        let firing = series["metric"]["alertstate"] == "firing";
        *states.entry(name.to_owned()).or_default() |= firing;
    }
    Ok(states
        .into_iter()
        .map(|(name, firing)| format!("{name} ({})", if firing { "firing" } else { "pending" }))
        .collect())
}
