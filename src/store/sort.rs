//! SQL for SORT and SORT_RO: one call of `pgredis_sort` (reads only) or `pgredis_sort_store`
//! (locks source and destination, then sorts and writes), from `migrations/0008_hashes.sql`.

use bytes::Bytes;
use tokio_postgres::types::ToSql;

use super::Store;
use crate::cmd::CmdError;

/// A BY or GET pattern split as Redis's lookupKeyByPattern splits it.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// `#`: the element itself.
    Element,
    /// No `*`: never finds anything.
    Nothing,
    /// `prefix*postfix` names a string key; with `->field`, a field of a hash key.
    Lookup {
        prefix: Bytes,
        postfix: Bytes,
        field: Option<Bytes>,
    },
}

impl Pattern {
    /// The SQL side's encoding: kind, prefix, postfix, field.
    fn columns(&self) -> (i32, &[u8], &[u8], Option<&[u8]>) {
        match self {
            Pattern::Element => (0, b"", b"", None),
            Pattern::Nothing => (1, b"", b"", None),
            Pattern::Lookup {
                prefix,
                postfix,
                field,
            } => (2, prefix, postfix, field.as_deref()),
        }
    }
}

/// What to sort and how; the parsed options of one SORT.
#[derive(Debug, Clone, Default)]
pub struct SortSpec {
    /// BY with a `*`; `None` sorts by the elements themselves.
    pub by: Option<Pattern>,
    /// BY without a `*`: keep the source's own order.
    pub dontsort: bool,
    pub alpha: bool,
    pub desc: bool,
    pub offset: i64,
    /// -1 for no LIMIT.
    pub count: i64,
    pub gets: Vec<Pattern>,
}

/// The result of SORT without STORE: elements, or GET values (`None` for nothing found).
pub async fn sort(
    store: &Store,
    db: i32,
    key: &[u8],
    spec: &SortSpec,
) -> Result<Vec<Option<Bytes>>, CmdError> {
    const SQL: &str = "SELECT pgredis_sort($1, $2, $3, $4, $5, $6, $7, $8, $9, false, $10, $11,
                                           $12, $13, $14, $15)";
    let options = Options::of(spec);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&db, &key];
    params.extend(options.params());
    let row = store.query_one(SQL, &params).await?;
    let items: Vec<Option<Vec<u8>>> = row.get(0);
    Ok(items.into_iter().map(|v| v.map(Bytes::from)).collect())
}

/// SORT ... STORE destination: the stored list's length.
pub async fn sort_store(
    store: &Store,
    db: i32,
    key: &[u8],
    dest: &[u8],
    spec: &SortSpec,
) -> Result<i64, CmdError> {
    const SQL: &str = "SELECT pgredis_sort_store($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                                                 $12, $13, $14, $15, $16)";
    let options = Options::of(spec);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&db, &key, &dest];
    params.extend(options.params());
    Ok(store.query_one(SQL, &params).await?.get(0))
}

/// A SORT's options as the parameters both SQL functions take after their keys: BY's pattern,
/// the flags, LIMIT, and the GET patterns.
struct Options<'a> {
    by_kind: Option<i32>,
    by_prefix: Option<&'a [u8]>,
    by_postfix: Option<&'a [u8]>,
    by_field: Option<&'a [u8]>,
    spec: &'a SortSpec,
    gets: GetColumns<'a>,
}

impl<'a> Options<'a> {
    fn of(spec: &'a SortSpec) -> Options<'a> {
        let by = spec.by.as_ref().map(Pattern::columns);
        Options {
            by_kind: by.map(|b| b.0),
            by_prefix: by.map(|b| b.1),
            by_postfix: by.map(|b| b.2),
            by_field: by.and_then(|b| b.3),
            spec,
            gets: gets(spec),
        }
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 13] {
        [
            &self.by_kind,
            &self.by_prefix,
            &self.by_postfix,
            &self.by_field,
            &self.spec.dontsort,
            &self.spec.alpha,
            &self.spec.desc,
            &self.spec.offset,
            &self.spec.count,
            &self.gets.0,
            &self.gets.1,
            &self.gets.2,
            &self.gets.3,
        ]
    }
}

type GetColumns<'a> = (
    Vec<i32>,
    Vec<&'a [u8]>,
    Vec<&'a [u8]>,
    Vec<Option<&'a [u8]>>,
);

/// The GET patterns as four parallel arrays.
fn gets(spec: &SortSpec) -> GetColumns<'_> {
    let mut columns: GetColumns = Default::default();
    for get in &spec.gets {
        let (kind, prefix, postfix, field) = get.columns();
        columns.0.push(kind);
        columns.1.push(prefix);
        columns.2.push(postfix);
        columns.3.push(field);
    }
    columns
}
