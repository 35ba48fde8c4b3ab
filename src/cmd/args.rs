//! A cursor over a command's arguments, so each handler's parsing is short and uniform and every
//! handler rejects bad numbers with the same error text.

use bytes::Bytes;

use super::errors::{CmdError, NOT_FLOAT, NOT_INTEGER, SYNTAX};
use crate::numbers::{parse_double, string2ll};

#[derive(Debug, Clone)]
pub struct Args {
    argv: Vec<Bytes>,
    pos: usize,
}

impl Args {
    /// Arguments starting after the command name (and subcommand, if `start` is 2).
    pub fn new(argv: Vec<Bytes>, start: usize) -> Args {
        Args { argv, pos: start }
    }

    /// Every argument, the command name included.
    pub fn argv(&self) -> &[Bytes] {
        &self.argv
    }

    pub fn remaining(&self) -> usize {
        self.argv.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next argument; a syntax error when there is none.
    pub fn next_bytes(&mut self) -> Result<Bytes, CmdError> {
        let arg = self
            .argv
            .get(self.pos)
            .cloned()
            .ok_or(CmdError::from(SYNTAX))?;
        self.pos += 1;
        Ok(arg)
    }

    pub fn peek(&self) -> Option<&Bytes> {
        self.argv.get(self.pos)
    }

    /// The next argument as a 64-bit integer, parsed as strictly as Redis does.
    pub fn next_i64(&mut self) -> Result<i64, CmdError> {
        let arg = self.next_bytes()?;
        string2ll(&arg).ok_or(CmdError::from(NOT_INTEGER))
    }

    /// The next argument as a double (`inf` allowed, NaN not).
    pub fn next_f64(&mut self) -> Result<f64, CmdError> {
        let arg = self.next_bytes()?;
        parse_double(&arg).ok_or(CmdError::from(NOT_FLOAT))
    }

    /// The next argument upper-cased, for matching option names.
    pub fn next_keyword(&mut self) -> Result<String, CmdError> {
        Ok(String::from_utf8_lossy(&self.next_bytes()?).to_ascii_uppercase())
    }

    /// Every argument not consumed yet.
    pub fn rest(&mut self) -> Vec<Bytes> {
        let rest = self.argv[self.pos..].to_vec();
        self.pos = self.argv.len();
        rest
    }

    /// A syntax error if any argument is left over.
    pub fn finish(&self) -> Result<(), CmdError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(SYNTAX.into())
        }
    }
}

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}
