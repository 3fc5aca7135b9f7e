//! Flow table and per-direction reassembly (implementation).

use super::*;

/// The flow table. See the module documentation for the contract.
pub struct FlowTable {
    #[allow(dead_code)]
    cfg: FlowConfig,
    stats: FlowStats,
}

impl FlowTable {
    pub fn new(cfg: FlowConfig) -> Self {
        FlowTable {
            cfg,
            stats: FlowStats::default(),
        }
    }

    pub fn segment(&mut self, seg: &TcpSegment<'_>, _sink: &mut dyn StreamSink) -> SegmentAnalysis {
        let _ = seg;
        todo!("reassembly")
    }

    pub fn advance(&mut self, _now: Timestamp, _sink: &mut dyn StreamSink) {}

    pub fn finish(&mut self, _sink: &mut dyn StreamSink) {}

    pub fn stats(&self) -> &FlowStats {
        &self.stats
    }
}
