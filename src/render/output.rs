//! Standard output for the packet printer: buffered, and flushed by the policy a person
//! expects — after every frame on a terminal or with `-l`, at least every 250 ms of wall time
//! into a pipe or file while capturing live or reading standard input (see [`Flusher`]).
//!
//! After the first write error (a closed pipe), the error is kept for the caller and later
//! writes are accepted and discarded, so that a run can still finish its statistics on
//! stderr and complete its `-w` file.

use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

struct Inner {
    w: BufWriter<Box<dyn Write + Send>>,
    /// The first write or flush error; once set, output is discarded.
    error: Option<io::Error>,
    /// Bytes written since the last flush.
    dirty: bool,
}

/// A buffered writer that can be shared with a [`Flusher`] thread.
pub struct Output {
    inner: Arc<Mutex<Inner>>,
    /// Flush at least this often from a thread, started at the first write: after the
    /// capture has given up root, so the thread holds no privilege (see `capture::privdrop`).
    period: Option<Duration>,
    flusher: Option<Flusher>,
}

impl Clone for Output {
    /// Another handle on the same buffer (its own flusher thread, if it writes).
    fn clone(&self) -> Output {
        Output {
            inner: Arc::clone(&self.inner),
            period: self.period,
            flusher: None,
        }
    }
}

impl Output {
    /// Buffer `capacity` bytes in front of `w`.
    pub fn new(w: Box<dyn Write + Send>, capacity: usize) -> Output {
        Output {
            inner: Arc::new(Mutex::new(Inner {
                w: BufWriter::with_capacity(capacity, w),
                error: None,
                dirty: false,
            })),
            period: None,
            flusher: None,
        }
    }

    /// Flush from another thread at least every `period` (started by the first write, and
    /// stopped when this handle is dropped).
    pub fn flush_every(mut self, period: Option<Duration>) -> Output {
        self.period = period;
        self
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// The first write error (a closed pipe, a full disk), if any: it is handed out once.
    pub fn take_error(&self) -> Option<io::Error> {
        self.lock().error.take()
    }

    /// Whether a write already failed (output is being discarded).
    pub fn failed(&self) -> bool {
        self.lock().error.is_some()
    }

    fn start_flusher(&mut self) {
        let Some(period) = self.period else { return };
        if self.flusher.is_some() {
            return;
        }
        let done = Arc::new(AtomicBool::new(false));
        let inner = Arc::clone(&self.inner);
        let flag = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::park_timeout(period);
                let mut g = lock(&inner);
                if g.dirty && g.error.is_none() {
                    g.dirty = false;
                    if let Err(e) = g.w.flush() {
                        g.error = Some(e);
                    }
                }
            }
        });
        self.flusher = Some(Flusher {
            done,
            thread: Some(thread),
        });
    }
}

fn lock(m: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.start_flusher();
        let mut g = self.lock();
        if g.error.is_some() {
            return Ok(buf.len());
        }
        match g.w.write(buf) {
            Ok(n) => {
                g.dirty = true;
                Ok(n)
            }
            Err(e) => {
                let kind = e.kind();
                g.error = Some(e);
                Err(io::Error::from(kind))
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut g = self.lock();
        if g.error.is_some() {
            return Ok(());
        }
        g.dirty = false;
        g.w.flush().map_err(|e| {
            let kind = e.kind();
            g.error = Some(e);
            io::Error::from(kind)
        })
    }
}

/// The thread behind [`Output::flush_every`]; dropping it stops the thread.
struct Flusher {
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that records what reached it, shared with the test.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<u8>>>);
    impl Write for Seen {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn buffered_until_flushed() {
        let seen = Seen::default();
        let mut out = Output::new(Box::new(seen.clone()), 1 << 16);
        out.write_all(b"frame 1\n").expect("write");
        std::thread::sleep(Duration::from_millis(20));
        assert!(seen.0.lock().expect("lock").is_empty());
        out.flush().expect("flush");
        assert_eq!(&*seen.0.lock().expect("lock"), b"frame 1\n");
    }

    #[test]
    fn the_flusher_thread_empties_the_buffer_without_more_writes() {
        let seen = Seen::default();
        let mut out = Output::new(Box::new(seen.clone()), 1 << 16)
            .flush_every(Some(Duration::from_millis(10)));
        out.write_all(b"frame 1\n").expect("write");
        let t = std::time::Instant::now();
        while seen.0.lock().expect("lock").is_empty() && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(out);
        assert_eq!(&*seen.0.lock().expect("lock"), b"frame 1\n");
    }

    struct Closed;
    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn first_error_is_reported_once_then_output_is_discarded() {
        let mut out = Output::new(Box::new(Closed), 4);
        let e = out
            .write_all(b"more than four bytes")
            .expect_err("closed pipe");
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
        assert!(out.failed());
        out.write_all(b"later lines").expect("discarded");
        out.flush().expect("discarded");
        assert_eq!(
            out.take_error().map(|e| e.kind()),
            Some(io::ErrorKind::BrokenPipe)
        );
    }
}
