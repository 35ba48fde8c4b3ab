//! Redis's glob-style matching (`stringmatchlen`), for KEYS, SCAN MATCH and CONFIG GET.
//!
//! It follows Redis's algorithm step for step, quirks included (an unterminated `[` class, `\`
//! escapes inside classes, ranges written backwards, range bounds compared as signed `char`s),
//! so replies match Redis exactly. Like Redis
//! since 7.0.10 it stops retrying longer matches for an earlier `*` once the rest of the pattern
//! failed everywhere, which keeps the work polynomial; a nesting cap keeps the stack bounded.

/// How many `*` groups deep the matcher recurses before it gives up (no match).
const MAX_NESTING: usize = 1000;

pub fn matches(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, nocase, &mut skip_longer, 0)
}

fn match_impl(
    mut p: &[u8],
    mut s: &[u8],
    nocase: bool,
    skip_longer: &mut bool,
    nesting: usize,
) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    let fold = |c: u8| if nocase { c.to_ascii_lowercase() } else { c };
    while !p.is_empty() && !s.is_empty() {
        match p[0] {
            b'*' => {
                while p.len() > 1 && p[1] == b'*' {
                    p = &p[1..];
                }
                if p.len() == 1 {
                    return true;
                }
                while !s.is_empty() {
                    if match_impl(&p[1..], s, nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s = &s[1..];
                }
                *skip_longer = true;
                return false;
            }
            b'?' => s = &s[1..],
            b'[' => {
                p = &p[1..];
                let not = p.first() == Some(&b'^');
                if not {
                    p = &p[1..];
                }
                let mut matched = false;
                // `i` walks the class; it ends on the closing `]`, or on the last byte of an
                // unterminated class, as Redis's pointer does.
                let mut i = 0;
                loop {
                    if p.get(i) == Some(&b'\\') && p.len() - i >= 2 {
                        i += 1;
                        if p[i] == s[0] {
                            matched = true;
                        }
                    } else if p.get(i) == Some(&b']') {
                        break;
                    } else if i >= p.len() {
                        i = i.saturating_sub(1);
                        break;
                    } else if p.len() - i >= 3 && p[i + 1] == b'-' {
                        // Redis compares `char`s, which are signed on the platforms it ships
                        // for, so bytes from 0x80 sort below ASCII; and it swaps a backwards
                        // range before folding case.
                        let (mut start, mut end) = (p[i] as i8, p[i + 2] as i8);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let signed_fold = |c: i8| fold(c as u8) as i8;
                        let (start, end) = (signed_fold(start), signed_fold(end));
                        let c = signed_fold(s[0] as i8);
                        i += 2;
                        if c >= start && c <= end {
                            matched = true;
                        }
                    } else if fold(p[i]) == fold(s[0]) {
                        matched = true;
                    }
                    i += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s = &s[1..];
                // Leave `p` on the class's last byte; the common step below moves past it.
                p = if p.is_empty() { p } else { &p[i..] };
                if p.is_empty() {
                    // An unterminated class consumed the whole pattern.
                    if s.is_empty() {
                        return true;
                    }
                    return false;
                }
            }
            b'\\' if p.len() >= 2 => {
                p = &p[1..];
                if fold(p[0]) != fold(s[0]) {
                    return false;
                }
                s = &s[1..];
            }
            c => {
                if fold(c) != fold(s[0]) {
                    return false;
                }
                s = &s[1..];
            }
        }
        p = &p[1..];
        if s.is_empty() {
            while p.first() == Some(&b'*') {
                p = &p[1..];
            }
            break;
        }
    }
    p.is_empty() && s.is_empty()
}

/// The literal bytes every match must start with, for narrowing a scan to an index range.
pub fn literal_prefix(pattern: &[u8]) -> &[u8] {
    let end = pattern
        .iter()
        .position(|c| matches!(c, b'*' | b'?' | b'[' | b'\\'))
        .unwrap_or(pattern.len());
    &pattern[..end]
}

/// The smallest byte string greater than every string starting with `prefix`, if there is one.
pub fn prefix_upper_bound(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut upper = prefix.to_vec();
    while let Some(last) = upper.pop() {
        if last < 0xff {
            upper.push(last + 1);
            return Some(upper);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        matches(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn redis_glob() {
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hbllo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("a*", "a"));
        assert!(!m("a[", "a"));
        assert!(m("a[", "ab") == matches(b"a[", b"ab", false));
        assert!(m("[^", "x"));
        assert!(matches(b"HELLO", b"hello", true));
    }

    #[test]
    fn ranges_compare_signed_chars_like_redis() {
        // Checked against redis-server 7.0.15: `[a-\xff]` is the range -1..=97.
        assert!(matches(b"[a-\xff]", b"\xff", false));
        assert!(matches(b"[a-\xff]", b"A", false));
        assert!(!matches(b"[a-\xff]", b"b", false));
        assert!(!matches(b"[a-\xff]", b"\x80", false));
        assert!(matches(b"[\x80-\xff]", b"\x80", false));
        assert!(!matches(b"[\x80-\xff]", b"A", false));
        // Backwards ranges are swapped before folding: `[Z-a]` folds to the empty z..=a.
        assert!(!matches(b"[Z-a]", b"b", true));
        assert!(matches(b"[Z-a]", b"_", false));
    }

    #[test]
    fn pathological_patterns_finish() {
        let pattern = "a*".repeat(50) + "b";
        let string = "a".repeat(200);
        assert!(!m(&pattern, &string));
    }

    #[test]
    fn prefixes() {
        assert_eq!(literal_prefix(b"user:*"), b"user:");
        assert_eq!(prefix_upper_bound(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_upper_bound(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_upper_bound(b"\xff"), None);
    }
}
