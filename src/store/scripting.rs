//! SQL for scripting: the shared script cache (EVAL, EVALSHA, SCRIPT) and the function libraries
//! (FUNCTION, FCALL). Tables and the load/restore functions are in
//! `migrations/0010_scripting.sql`.

use bytes::Bytes;

use super::Store;
use crate::cmd::CmdError;

/// One registered function of a library, as FUNCTION LOAD learned it by running the code.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    pub name: String,
    pub description: Option<Bytes>,
    /// Flag names as Redis spells them (`no-writes`, `allow-oom`, ...).
    pub flags: Vec<String>,
}

/// A library as FUNCTION LIST and FUNCTION DUMP show it.
#[derive(Debug, Clone)]
pub struct Library {
    pub name: String,
    pub engine: String,
    pub code: Bytes,
    pub functions: Vec<FunctionInfo>,
}

/// What FCALL needs to run a function: its library's name and code, and its flags.
pub struct FunctionCode {
    pub library: String,
    pub code: Bytes,
    pub flags: Vec<String>,
}

/// Adds a script to the cache; a script already there is left alone.
pub async fn save_script(store: &Store, sha: &str, body: &[u8]) -> Result<(), CmdError> {
    const SQL: &str = "INSERT INTO pgredis_scripts (sha, body) VALUES ($1, $2)
                       ON CONFLICT (sha) DO NOTHING";
    store.execute(SQL, &[&sha, &body]).await?;
    Ok(())
}

/// The body of the cached script with this (lower-case) SHA1.
pub async fn script(store: &Store, sha: &str) -> Result<Option<Bytes>, CmdError> {
    const SQL: &str = "SELECT body FROM pgredis_scripts WHERE sha = $1";
    let row = store.query_opt(SQL, &[&sha]).await?;
    Ok(row.map(|r| Bytes::from(r.get::<_, Vec<u8>>(0))))
}

/// Which of these (lower-case) SHA1s are cached.
pub async fn existing_scripts(store: &Store, shas: &[String]) -> Result<Vec<String>, CmdError> {
    const SQL: &str = "SELECT sha FROM pgredis_scripts WHERE sha = ANY ($1)";
    let rows = store.query(SQL, &[&shas]).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// SCRIPT FLUSH.
pub async fn flush_scripts(store: &Store) -> Result<(), CmdError> {
    store.execute("DELETE FROM pgredis_scripts", &[]).await?;
    Ok(())
}

/// Whether a library of this name exists.
pub async fn library_exists(store: &Store, name: &str) -> Result<bool, CmdError> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM pgredis_function_libraries WHERE name = $1)";
    Ok(store.query_one(SQL, &[&name]).await?.get(0))
}

/// Columns shared by `load_library` and `restore_libraries`: names, descriptions and flags of
/// functions as parallel arrays.
fn function_columns(
    functions: &[&FunctionInfo],
) -> (Vec<String>, Vec<Option<Vec<u8>>>, Vec<String>) {
    (
        functions.iter().map(|f| f.name.clone()).collect(),
        functions
            .iter()
            .map(|f| f.description.as_ref().map(|d| d.to_vec()))
            .collect(),
        functions.iter().map(|f| f.flags.join(" ")).collect(),
    )
}

/// FUNCTION LOAD: stores the library, or fails with Redis's error when the library exists
/// (without `replace`) or one of its functions belongs to another library.
pub async fn load_library(
    store: &Store,
    name: &str,
    code: &[u8],
    replace: bool,
    functions: &[FunctionInfo],
) -> Result<(), CmdError> {
    const SQL: &str = "SELECT pgredis_function_load($1, $2, $3, $4, $5, $6)";
    let all: Vec<&FunctionInfo> = functions.iter().collect();
    let (names, descriptions, flags) = function_columns(&all);
    store
        .query_one(
            SQL,
            &[&name, &code, &replace, &names, &descriptions, &flags],
        )
        .await?;
    Ok(())
}

/// FUNCTION RESTORE: stores many libraries under a policy (`APPEND`, `REPLACE` or `FLUSH`).
pub async fn restore_libraries(
    store: &Store,
    policy: &str,
    libraries: &[Library],
) -> Result<(), CmdError> {
    const SQL: &str = "SELECT pgredis_function_restore($1, $2, $3, $4, $5, $6, $7)";
    let names: Vec<&str> = libraries.iter().map(|l| l.name.as_str()).collect();
    let codes: Vec<&[u8]> = libraries.iter().map(|l| &l.code[..]).collect();
    let mut owners = Vec::new();
    let mut all = Vec::new();
    for library in libraries {
        for function in &library.functions {
            owners.push(library.name.as_str());
            all.push(function);
        }
    }
    let (functions, descriptions, flags) = function_columns(&all);
    store
        .query_one(
            SQL,
            &[
                &policy,
                &names,
                &codes,
                &owners,
                &functions,
                &descriptions,
                &flags,
            ],
        )
        .await?;
    Ok(())
}

/// FUNCTION DELETE: whether the library existed.
pub async fn delete_library(store: &Store, name: &str) -> Result<bool, CmdError> {
    const SQL: &str = "WITH locked AS (SELECT pgredis_function_libraries_lock())
                       DELETE FROM pgredis_function_libraries
                        WHERE name = $1 AND EXISTS (SELECT 1 FROM locked)";
    Ok(store.execute(SQL, &[&name]).await? > 0)
}

/// FUNCTION FLUSH.
pub async fn flush_libraries(store: &Store) -> Result<(), CmdError> {
    const SQL: &str = "WITH locked AS (SELECT pgredis_function_libraries_lock())
                       DELETE FROM pgredis_function_libraries
                        WHERE EXISTS (SELECT 1 FROM locked)";
    store.execute(SQL, &[]).await?;
    Ok(())
}

/// Every library with its functions, by library name, then function name.
pub async fn libraries(store: &Store) -> Result<Vec<Library>, CmdError> {
    const SQL: &str = "SELECT l.name, l.engine, l.code, f.name, f.description, f.flags
                         FROM pgredis_function_libraries l
                         LEFT JOIN pgredis_functions f ON f.library = l.name
                        ORDER BY l.name, f.name";
    let rows = store.query(SQL, &[]).await?;
    let mut libraries: Vec<Library> = Vec::new();
    for row in rows {
        let name: String = row.get(0);
        if libraries.last().is_none_or(|l| l.name != name) {
            libraries.push(Library {
                name,
                engine: row.get(1),
                code: Bytes::from(row.get::<_, Vec<u8>>(2)),
                functions: Vec::new(),
            });
        }
        if let Some(function) = row.get::<_, Option<String>>(3) {
            libraries.last_mut().unwrap().functions.push(FunctionInfo {
                name: function,
                description: row.get::<_, Option<Vec<u8>>>(4).map(Bytes::from),
                flags: row.get(5),
            });
        }
    }
    Ok(libraries)
}

/// Counts for FUNCTION STATS: libraries and functions.
pub async fn counts(store: &Store) -> Result<(i64, i64), CmdError> {
    const SQL: &str = "SELECT (SELECT count(*) FROM pgredis_function_libraries),
                              (SELECT count(*) FROM pgredis_functions)";
    let row = store.query_one(SQL, &[]).await?;
    Ok((row.get(0), row.get(1)))
}

/// The function FCALL names, with its library's code.
pub async fn function(store: &Store, name: &str) -> Result<Option<FunctionCode>, CmdError> {
    const SQL: &str = "SELECT l.name, l.code, f.flags
                         FROM pgredis_functions f
                         JOIN pgredis_function_libraries l ON l.name = f.library
                        WHERE lower(f.name) = lower($1)";
    let row = store.query_opt(SQL, &[&name]).await?;
    Ok(row.map(|r| FunctionCode {
        library: r.get(0),
        code: Bytes::from(r.get::<_, Vec<u8>>(1)),
        flags: r.get(2),
    }))
}
