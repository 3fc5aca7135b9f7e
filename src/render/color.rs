//! Colour, decided once at the edge: `--color auto|always|never`, `NO_COLOR`, and whether
//! stdout is a terminal. Renderers ask the palette for escape codes; when colour is off they
//! get empty strings.

/// `--color` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Decide whether to colour: `never` and `NO_COLOR` (non-empty) win; `always` forces;
/// `auto` colours only a terminal.
pub fn enabled(choice: ColorChoice, is_terminal: bool) -> bool {
    let no_color = std::env::var_os("NO_COLOR")
        .map(|v| !v.is_empty())
        .unwrap_or(false);
    match choice {
        ColorChoice::Never => false,
        ColorChoice::Always => !no_color,
        ColorChoice::Auto => is_terminal && !no_color,
    }
}

/// ANSI codes (our own, never from the wire), or empty strings when colour is off.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub on: bool,
}

impl Palette {
    pub fn new(on: bool) -> Self {
        Palette { on }
    }
    fn code(&self, c: &'static str) -> &'static str {
        if self.on {
            c
        } else {
            ""
        }
    }
    pub fn reset(&self) -> &'static str {
        self.code("\x1b[0m")
    }
    pub fn bold(&self) -> &'static str {
        self.code("\x1b[1m")
    }
    pub fn dim(&self) -> &'static str {
        self.code("\x1b[2m")
    }
    pub fn red(&self) -> &'static str {
        self.code("\x1b[31m")
    }
    pub fn green(&self) -> &'static str {
        self.code("\x1b[32m")
    }
    pub fn yellow(&self) -> &'static str {
        self.code("\x1b[33m")
    }
    pub fn blue(&self) -> &'static str {
        self.code("\x1b[34m")
    }
    pub fn magenta(&self) -> &'static str {
        self.code("\x1b[35m")
    }
    pub fn cyan(&self) -> &'static str {
        self.code("\x1b[36m")
    }
    /// Leaked bytes: white on red.
    pub fn leak(&self) -> &'static str {
        self.code("\x1b[1;97;41m")
    }
    /// Colour of a protocol column value.
    pub fn proto(&self, proto: &str) -> &'static str {
        if proto.starts_with("HTTP") {
            self.green()
        } else if proto.starts_with("TLS") || proto.starts_with("SSL") {
            self.magenta()
        } else if proto == "UDP" {
            self.blue()
        } else if proto.starts_with("ICMP") {
            self.yellow()
        } else {
            ""
        }
    }
}
