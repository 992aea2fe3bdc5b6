using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Portcullis.Audit;
using SQLitePCL;

namespace Portcullis.Storage.Sqlite;

/// <summary>The audit chain in SQLite: one row per record, the full record as JSON, a few columns to filter on.</summary>
public sealed class SqliteAuditStore(SqliteDatabase database, bool fsync = false) : IAuditStore, IDisposable
{
    // Appends (one batch at a time, from the audit log's group commit) reuse one prepared insert, bound natively: the
    // record's UTF-8 text goes in as it was hashed, with no string made of it and no copy per parameter. In WAL mode
    // synchronous=NORMAL makes a commit survive a crash of the process; FULL also flushes it to stable storage (audit.fsync).
    private readonly PreparedStatement _append = new(
        database,
        "INSERT INTO audit (seq, time, kind, subject, target, outcome, record) VALUES ($seq, $time, $kind, $subject, $target, $outcome, $record)",
        [],
        fsync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");

    /// <inheritdoc />
    public async Task<(long Seq, string Hash)?> HeadAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT record FROM audit ORDER BY seq DESC LIMIT 1";
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string json && Deserialize(json) is var last ? (last.Seq, last.Hash) : null;
    }

    /// <inheritdoc />
    public Task AppendAsync(IReadOnlyList<LinkedAuditRecord> records, CancellationToken cancellationToken)
    {
        // A failure closes the connection (PreparedStatement), which rolls the open transaction back.
        _append.RunNative(records, static (db, insert, records) =>
        {
            // IMMEDIATE takes the write lock before reading anything: a deferred transaction that read first could
            // find its snapshot stale once the lock is free, an error SQLite does not wait out.
            PreparedStatement.Check(raw.sqlite3_exec(db, "BEGIN IMMEDIATE"), db);
            Span<char> time = stackalloc char[32];
            foreach (var (record, json) in records)
            {
                record.Time.UtcDateTime.TryFormat(time, out var length, SqliteDatabase.TimeFormat, CultureInfo.InvariantCulture);
                raw.sqlite3_bind_int64(insert, 1, record.Seq);
                raw.sqlite3_bind_text16(insert, 2, time[..length]);
                BindText(insert, 3, record.Kind);
                BindText(insert, 4, record.Subject);
                BindText(insert, 5, record.Target);
                BindText(insert, 6, record.Outcome);
                raw.sqlite3_bind_text(insert, 7, json);
                var rc = raw.sqlite3_step(insert);
                raw.sqlite3_reset(insert);
                PreparedStatement.Check(rc, db);
            }

            PreparedStatement.Check(raw.sqlite3_exec(db, "COMMIT"), db);
            return records.Count;
        });
        return Task.CompletedTask;
    }

    private static void BindText(sqlite3_stmt statement, int index, string? value)
    {
        if (value is null)
        {
            raw.sqlite3_bind_null(statement, index);
        }
        else
        {
            raw.sqlite3_bind_text16(statement, index, value.AsSpan());
        }
    }

    /// <inheritdoc />
    public void Dispose() => _append.Dispose();

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (query.Subject is { } subject)
        {
            where.Add("subject = $subject");
            command.Parameters.AddWithValue("$subject", subject);
        }

        if (query.Target is { } target)
        {
            where.Add("target GLOB $target");
            command.Parameters.AddWithValue("$target", target);
        }

        if (query.Kind is { } kind)
        {
            where.Add("kind GLOB $kind");
            command.Parameters.AddWithValue("$kind", kind);
        }

        if (query.Outcome is { } outcome)
        {
            where.Add(outcome == "denied" ? $"outcome IN ({string.Join(", ", AuditQuery.DenialOutcomes.Select(o => $"'{o}'"))})" : "outcome = $outcome");
            command.Parameters.AddWithValue("$outcome", outcome);
        }

        if (query.Since is { } since)
        {
            where.Add("time >= $since");
            command.Parameters.AddWithValue("$since", since.UtcDateTime.ToString(SqliteDatabase.TimeFormat, CultureInfo.InvariantCulture));
        }

        if (query.AfterSeq is { } after)
        {
            where.Add("seq > $after");
            command.Parameters.AddWithValue("$after", after);
        }

        command.Parameters.AddWithValue("$limit", Math.Clamp(query.Limit, 1, 10_000));
        var filter = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        command.CommandText = query.Newest
            ? $"SELECT record FROM (SELECT seq, record FROM audit {filter} ORDER BY seq DESC LIMIT $limit) ORDER BY seq"
            : $"SELECT record FROM audit {filter} ORDER BY seq LIMIT $limit";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var records = new List<AuditRecord>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            records.Add(Deserialize(reader.GetString(0)));
        }

        return records;
    }

    /// <inheritdoc />
    public async Task PruneAsync(long seq, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM audit WHERE seq <= $seq";
        command.Parameters.AddWithValue("$seq", seq);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task AddCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO audit_checkpoints (seq, hash, time, key_id, signature) VALUES ($seq, $hash, $time, $key, $signature)";
        command.Parameters.AddWithValue("$seq", checkpoint.Seq);
        command.Parameters.AddWithValue("$hash", checkpoint.Hash);
        command.Parameters.AddWithValue("$time", checkpoint.Time.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$key", checkpoint.KeyId);
        command.Parameters.AddWithValue("$signature", checkpoint.Signature);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Checkpoint>> ListCheckpointsAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, hash, time, key_id, signature FROM audit_checkpoints ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var checkpoints = new List<Checkpoint>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            checkpoints.Add(new Checkpoint(reader.GetInt64(0), reader.GetString(1), DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture), reader.GetString(3), reader.GetString(4)));
        }

        return checkpoints;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditRecord> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT record FROM audit ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return Deserialize(reader.GetString(0));
        }
    }

    private static AuditRecord Deserialize(string json) => JsonSerializer.Deserialize<AuditRecord>(json)!;
}
