//! What the cluster's Prometheus saw during a fault: which alerts of `deploy/prometheus/`
//! were pending or firing (a fault whose alert never fires is a finding; faults shorter than
//! an alert's `for:` show it pending only), and which services forced a NATS reconnect.

use std::collections::BTreeMap;

use serde_json::Value;

/// `alertname (firing|pending)` for each alert active between Unix seconds `from` and `to`,
/// with the furthest state it reached.
pub async fn during(prometheus_port: u16, from: f64, to: f64) -> anyhow::Result<Vec<String>> {
    let mut states: BTreeMap<String, bool> = BTreeMap::new();
    for series in query_range(prometheus_port, "ALERTS", from, to).await? {
        let name = series["metric"]["alertname"].as_str().unwrap_or("?");
        let firing = series["metric"]["alertstate"] == "firing";
        *states.entry(name.to_owned()).or_default() |= firing;
    }
    Ok(states
        .into_iter()
        .map(|(name, firing)| format!("{name} ({})", if firing { "firing" } else { "pending" }))
        .collect())
}

/// `role :port ×n` for each service that reconnected away from a NATS node it found cut
/// from the others (`shared::stranded`) between `from` and `to`: the counter's rises, and
/// its value after a restart reset it.
pub async fn forced_reconnects(
    prometheus_port: u16,
    from: f64,
    to: f64,
) -> anyhow::Result<Vec<String>> {
    let query = "possync_nats_forced_reconnects_total";
    let mut forced = Vec::new();
    for series in query_range(prometheus_port, query, from, to).await? {
        let values: Vec<f64> = series["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|pair| pair[1].as_str()?.parse().ok())
            .collect();
        let rises: f64 = values
            .windows(2)
            .map(|pair| {
                if pair[1] >= pair[0] {
                    pair[1] - pair[0]
                } else {
                    pair[1]
                }
            })
            .sum();
        if rises > 0.0 {
            let job = series["metric"]["job"].as_str().unwrap_or("?");
            let instance = series["metric"]["instance"].as_str().unwrap_or("?");
            let port = instance.rsplit(':').next().unwrap_or(instance);
            forced.push(format!("{job} :{port} ×{rises}"));
        }
    }
    forced.sort();
    Ok(forced)
}

/// The series of `query` sampled every second between Unix seconds `from` and `to`.
async fn query_range(port: u16, query: &str, from: f64, to: f64) -> anyhow::Result<Vec<Value>> {
    let url = format!("http://127.0.0.1:{port}/api/v1/query_range");
    let mut answer: Value = reqwest::Client::new()
        .get(url)
        .query(&[
            ("query", query.to_owned()),
            ("start", format!("{from:.3}")),
            ("end", format!("{to:.3}")),
            ("step", "1".to_owned()),
        ])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(match answer["data"]["result"].take() {
        Value::Array(series) => series,
        _ => Vec::new(),
    })
}
