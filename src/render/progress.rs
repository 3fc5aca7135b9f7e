//! A progress bar on stderr while a large file is replayed (indicatif): bytes read of the
//! file's size and packets per second. Shown only when stderr is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
    last_update: std::time::Instant,
}

impl Progress {
    pub fn new(total: Option<u64>) -> Self {
        let bar = match total {
            Some(t) => ProgressBar::new(t),
            None => ProgressBar::new_spinner(),
        };
        // Hidden unless stderr is a terminal (indicatif checks that for stderr targets).
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        let style =
            ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Progress {
            bar,
            last_update: std::time::Instant::now(),
        }
    }

    /// Update at most a few times a second (cheap in the per-packet loop).
    pub fn update(&mut self, position: u64, packets: u64) {
        if packets % 1024 == 0
            && self.last_update.elapsed() >= std::time::Duration::from_millis(200)
        {
            self.last_update = std::time::Instant::now();
            self.bar.set_position(position);
            let secs = self.bar.elapsed().as_secs_f64().max(1e-3);
            self.bar.set_message(format!(
                "{packets} packets, {:.0} packets/s",
                packets as f64 / secs
            ));
        }
    }

    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}
