//! SQL for the bit commands.
