//! `flow`: squirrel_sniff::flow::FlowTable over the TCP segments of the bundled captures (and
//! of `SQUIRREL_BENCH_PCAP` when set), frames decoded beforehand so that only the flow table
//! is timed.
//!
//! - `flow/reassembly`: a fresh table per iteration, every segment, then `finish`; the sink
//!   does nothing but count events.
//! - `flow/reassembly+dissect`: the same with the pipeline's HTTP/TLS dispatcher behind the
//!   table (what `squirrel-sniff -q` does after decoding, minus printing).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

use squirrel_sniff::dissect::dispatch::Dispatcher;
use squirrel_sniff::dissect::{DissectConfig, ParserConfig};
use squirrel_sniff::flow::{FlowConfig, FlowTable, StreamEvent, StreamSink};

mod common;

/// Counts events and nothing else.
struct CountingSink(u64);

impl StreamSink for CountingSink {
    fn event(&mut self, _now_frame: u64, ev: StreamEvent<'_>) {
        black_box(&ev);
        self.0 += 1;
    }
}

/// Hands every event to the dissectors and drops what they produce.
struct DissectSink {
    dispatcher: Dispatcher,
    app_events: u64,
}

impl StreamSink for DissectSink {
    fn event(&mut self, now_frame: u64, ev: StreamEvent<'_>) {
        black_box(self.dispatcher.on_event(now_frame, &ev));
        self.app_events += self.dispatcher.pending.len() as u64;
        self.dispatcher.pending.clear();
    }
}

fn flow_table(c: &mut Criterion) {
    let mut group = c.benchmark_group("flow");
    for set in common::frame_sets() {
        let segments = common::tcp_segments(&set.frames);
        if segments.is_empty() {
            continue;
        }
        let label = format!("{} ({} segments)", set.name, segments.len());
        group.throughput(Throughput::Elements(segments.len() as u64));
        group.bench_function(format!("reassembly/{label}"), |b| {
            b.iter(|| {
                let mut table = FlowTable::new(FlowConfig::default());
                let mut sink = CountingSink(0);
                for s in &segments {
                    let seg = s.view();
                    table.advance(seg.ts, &mut sink);
                    black_box(table.segment(&seg, &mut sink));
                }
                table.finish(&mut sink);
                black_box(sink.0)
            })
        });
        group.bench_function(format!("reassembly+dissect/{label}"), |b| {
            b.iter(|| {
                let mut table = FlowTable::new(FlowConfig::default());
                let mut sink = DissectSink {
                    dispatcher: Dispatcher::new(std::sync::Arc::new(ParserConfig::new(
                        DissectConfig::default(),
                    ))),
                    app_events: 0,
                };
                for s in &segments {
                    let seg = s.view();
                    table.advance(seg.ts, &mut sink);
                    black_box(table.segment(&seg, &mut sink));
                }
                table.finish(&mut sink);
                black_box(sink.app_events)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, flow_table);
criterion_main!(benches);
