//! The write probe: one till that pushes one product edit every tick through the balancer,
//! each push with a 2 s deadline, and notes when each was sent and whether a 200 answered.
//! Products are shared by the client's branches, so every watcher's room receives them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::session::Session;
use crate::timeline::{Ticks, Timeline};

/// One push of the probe: when it was sent and answered, and whether with a 200.
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    pub sent: f64,
    pub answered: f64,
    pub ok: bool,
    /// The answer's status; 0 when none came within the deadline.
    pub status: u16,
    /// Whether a refusal came with the contract's error shape (`{"error":{"code","message"}}`).
    pub error_shape: bool,
}

/// What the probe wrote: the records a 200 acknowledged, and every attempt.
#[derive(Debug, Default)]
pub struct Probed {
    pub attempts: Vec<Attempt>,
    pub acknowledged: Vec<String>,
}

pub async fn run(
    http: reqwest::Client,
    api_url: String,
    session: Arc<Session>,
    every: Duration,
    last_write_ms: Arc<AtomicU64>,
    timeline: Timeline,
    stop: CancellationToken,
) -> Probed {
    let mut probed = Probed::default();
    let mut ticks = Ticks::new(every, stop);
    for n in 0u64.. {
        if !ticks.next().await {
            break;
        }
        let record_id = format!("probe-{n}");
        let body = json!({
            "device_id": "chaos-probe",
            "records": [{
                "table_name": "products",
                "record_id": record_id,
                "data": {"name": format!("Probe {n}"), "price": n % 100},
                "local_updated_at": chrono::Utc::now(),
            }],
        });
        let sent = timeline.now();
        let answer = http
            .post(format!("{api_url}/api/sync/batch-push"))
            .bearer_auth(session.token())
            .json(&body)
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        let (status, body) = match answer {
            Ok(answer) => (
                answer.status().as_u16(),
                answer.json::<serde_json::Value>().await.unwrap_or_default(),
            ),
            Err(_) => (0, serde_json::Value::Null),
        };
        let ok = status == 200 && body["synced_count"] == 1;
        let error_shape = body["error"]["code"].is_string() && body["error"]["message"].is_string();
        let answered = timeline.now();
        if ok {
            probed.acknowledged.push(record_id);
            last_write_ms.store((answered * 1000.0) as u64, Ordering::Relaxed);
        }
        probed.attempts.push(Attempt {
            sent,
            answered,
            ok,
            status,
            error_shape,
        });
    }
    probed
}
