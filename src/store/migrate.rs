//! Schema migrations: the numbered files in `migrations/`, embedded in the binary and applied at
//! start in order, each in its own transaction, under a session advisory lock so that instances
//! starting together take turns and all come up.

use crate::store::Store;

/// Advisory lock key for migrations ("pgredis" in ASCII, as a number).
const MIGRATION_LOCK: i64 = 0x7067_7265_6469_7301;

const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../../migrations/0001_keyspace.sql")),
    (2, include_str!("../../migrations/0002_strings.sql")),
    (3, include_str!("../../migrations/0003_bits.sql")),
    (4, include_str!("../../migrations/0004_keys.sql")),
    (5, include_str!("../../migrations/0005_collections.sql")),
    (6, include_str!("../../migrations/0006_lists.sql")),
    (7, include_str!("../../migrations/0007_sets.sql")),
    (8, include_str!("../../migrations/0008_hashes.sql")),
    (9, include_str!("../../migrations/0009_zsets.sql")),
    (10, include_str!("../../migrations/0010_scripting.sql")),
    (11, include_str!("../../migrations/0011_pubsub.sql")),
    (12, include_str!("../../migrations/0012_blocking.sql")),
    (13, include_str!("../../migrations/0013_lean_writes.sql")),
    (14, include_str!("../../migrations/0014_fillfactor.sql")),
    (15, include_str!("../../migrations/0015_update_first.sql")),
];

pub async fn run(store: &Store) -> anyhow::Result<()> {
    let client = store.dedicated().await?;
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let result = apply(&client).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    result
}

async fn apply(client: &tokio_postgres::Client) -> anyhow::Result<()> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS pgredis_migrations (
                 version integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await?;
    let applied: Vec<i32> = client
        .query("SELECT version FROM pgredis_migrations", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    for (version, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        tracing::info!("applying migration {version}");
        client.batch_execute("BEGIN").await?;
        let step = async {
            client.batch_execute(sql).await?;
            client
                .execute(
                    "INSERT INTO pgredis_migrations (version) VALUES ($1)",
                    &[version],
                )
                .await
        };
        match step.await {
            Ok(_) => client.batch_execute("COMMIT").await?,
            Err(e) => {
                client.batch_execute("ROLLBACK").await?;
                let detail = e.as_db_error().map_or(e.to_string(), |db| db.to_string());
                anyhow::bail!("migration {version} failed: {detail}");
            }
        }
    }
    Ok(())
}
