-- Room for HOT updates. Rows that writes update in place (a key's row: value, size, version; a hash
-- field: its value) get their new version on the same page when there is room, without new index
-- entries. At the default fillfactor of 100 a table loaded in bulk has no room anywhere, so every
-- such update on a big hash or keyspace also wrote to each index (auto/bench growth: HSET on a
-- hash of 1,000,000 fields at 0.80 of a small one). Pages written from now on keep 10% free.
ALTER TABLE pgredis_keys SET (fillfactor = 90);
ALTER TABLE pgredis_hash_fields SET (fillfactor = 90);
