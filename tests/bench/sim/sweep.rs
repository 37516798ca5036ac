//! Throughput against the number of writers: the sustained load of both shapes (a shop per
//! writer, every writer a till of one shop) at each writer count of the sweep.

use std::time::Instant;

use crate::load::{self, Shops};
use crate::report::{Throughput, WriterCount, WriterSweep};
use crate::Bench;

/// The sustained runs already measured at the main writer count, reused by the sweep.
pub struct Measured<'a> {
    pub shop_per_writer: &'a Throughput,
    pub one_shop: &'a Throughput,
}

/// Measures both shapes for `seconds` at each count of `writer_counts` (0s are left out);
/// a count equal to the main runs' takes their figures instead of running again.
pub async fn writers(
    bench: &Bench,
    writer_counts: &[usize],
    seconds: f64,
    measured: Option<Measured<'_>>,
) -> WriterSweep {
    let started = Instant::now();
    let mut counts: Vec<usize> = writer_counts.iter().copied().filter(|&n| n > 0).collect();
    counts.sort_unstable();
    counts.dedup();
    let mut points = Vec::with_capacity(counts.len());
    for writers in counts {
        let reused = measured
            .as_ref()
            .filter(|m| m.shop_per_writer.writers == writers);
        let (shop_per_writer, one_shop) = match reused {
            Some(m) => (m.shop_per_writer.clone(), m.one_shop.clone()),
            None => {
                let many = load::sustained(bench, writers, seconds, Shops::Many).await;
                let one = load::sustained(bench, writers, seconds, Shops::One).await;
                (many.throughput, one.throughput)
            }
        };
        eprintln!(
            "  writers {writers}: {:.0} records/s with a shop each, {:.0} records/s as tills of one shop{}",
            shop_per_writer.records_per_second,
            one_shop.records_per_second,
            if reused.is_some() { " (the main runs)" } else { "" }
        );
        points.push(WriterCount {
            writers,
            shop_per_writer_records_per_second: shop_per_writer.records_per_second,
            one_shop_records_per_second: one_shop.records_per_second,
            seconds: shop_per_writer.seconds.min(one_shop.seconds),
        });
    }
    WriterSweep {
        step_seconds: seconds,
        points,
        phase_seconds: started.elapsed().as_secs_f64(),
    }
}
