//! The differential spec: every case in `spec/cases/*.txt` runs against the reference
//! redis-server and against pgredis, and every reply must be the same, byte for byte.
//!
//! Case files are data. Cases are separated by blank lines; each line is one command written as
//! redis-cli takes it (quotes, `\xHH` escapes). `#` starts a comment line. A line starting with
//! `~ ` compares its reply as an unordered collection (KEYS, SMEMBERS, ...). Each case starts on
//! fresh connections after FLUSHALL and with keyspace notifications off, so cases do not depend
//! on each other.

mod harness;

use harness::{Client, Pgredis, Postgres, Redis};
use pgredis::resp::parse::split_args;

struct Line {
    number: usize,
    text: String,
    unordered: bool,
    argv: Vec<Vec<u8>>,
}

fn cases(path: &std::path::Path) -> Vec<Vec<Line>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut cases = vec![Vec::new()];
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            if !cases.last().unwrap().is_empty() {
                cases.push(Vec::new());
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (unordered, command) = match line.strip_prefix("~ ") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let argv = split_args(command.as_bytes())
            .unwrap_or_else(|| panic!("{}:{}: unbalanced quotes", path.display(), i + 1));
        cases.last_mut().unwrap().push(Line {
            number: i + 1,
            text: line.to_string(),
            unordered,
            argv,
        });
    }
    cases.retain(|c| !c.is_empty());
    cases
}

fn normalise(reply: Vec<u8>, unordered: bool) -> Vec<u8> {
    if !unordered {
        return reply;
    }
    match harness::elements(&reply) {
        Some((header, mut items)) => {
            items.sort();
            let mut out = header;
            for item in items {
                out.extend(item);
            }
            out
        }
        None => reply,
    }
}

fn show(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).escape_debug().to_string()
}

#[test]
fn replies_match_redis() {
    let postgres = Postgres::start();
    let redis = Redis::start();
    let pgredis = Pgredis::start(&postgres.conn_str());

    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let only = std::env::var("SPEC_FILE").ok();

    let mut failures = Vec::new();
    let mut commands = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        for case in cases(file) {
            let mut reference: Client = redis.client();
            let mut subject: Client = pgredis.client();
            for side in [&mut reference, &mut subject] {
                side.cmd(&["FLUSHALL"]);
                side.cmd(&["CONFIG", "SET", "notify-keyspace-events", ""]);
            }
            for line in &case {
                let argv: Vec<&[u8]> = line.argv.iter().map(|a| &a[..]).collect();
                let expected = normalise(reference.call(&argv), line.unordered);
                let actual = normalise(subject.call(&argv), line.unordered);
                commands += 1;
                if expected != actual {
                    failures.push(format!(
                        "{name}:{}: {}\n    redis:   {}\n    pgredis: {}",
                        line.number,
                        line.text,
                        show(&expected),
                        show(&actual)
                    ));
                }
            }
        }
    }
    assert!(commands > 0, "no spec cases found");
    println!("{commands} commands compared");
    assert!(
        failures.is_empty(),
        "{} of {commands} replies differ from Redis:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
