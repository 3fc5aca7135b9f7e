//! `decode`: squirrel_sniff::decode::decode over every frame of the bundled captures
//! (and of `SQUIRREL_BENCH_PCAP` when set). Frames are read into memory first, so only
//! decoding is timed.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

mod common;

fn decode_frames(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for set in common::frame_sets() {
        if set.frames.is_empty() {
            continue;
        }
        group.throughput(Throughput::Elements(set.frames.len() as u64));
        group.bench_function(format!("{} ({} frames)", set.name, set.frames.len()), |b| {
            b.iter(|| {
                let mut tcp = 0usize;
                for f in &set.frames {
                    let d = squirrel_sniff::decode::decode(f.link, black_box(&f.data));
                    tcp += usize::from(d.tcp().is_some());
                }
                black_box(tcp)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decode_frames);
criterion_main!(benches);
