//! The frame view moved below the renderers ([`crate::event::frame`]); kept reachable here.

pub use crate::event::frame::{FrameView, TcpView};
