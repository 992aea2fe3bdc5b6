using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Npgsql;
using Portcullis.Audit;

namespace Portcullis.Storage.Postgres;

/// <summary>
/// The audit chain in PostgreSQL, shared by every replica. One row per record, the full record as the JSON its hash
/// covers, a few columns to filter on. <c>audit_head</c> holds the chain's last seq and hash; an append locks that
/// row, so replicas append one batch at a time, and a batch linked to a head that has moved is refused with
/// <see cref="AuditChainMovedException"/> for its writer to link again: the chain stays one line without gaps.
/// </summary>
public sealed class PostgresAuditStore(PostgresDatabase database, bool fsync = false) : IAuditStore, IDisposable
{
    // As with SQLite: by default a commit survives a crash of the gateway (the server has it) without waiting for the
    // server to flush it to disk; audit.fsync waits for the flush, so records also survive a crash of the server's host.
    private readonly NpgsqlDataSource _appends = fsync ? database.DataSource : database.OpenDataSource("-c synchronous_commit=off");

    /// <inheritdoc />
    public async Task<(long Seq, string Hash)?> HeadAsync(CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT seq, hash FROM audit_head WHERE id = 1 AND seq > 0");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    /// <inheritdoc />
    public async Task AppendAsync(IReadOnlyList<LinkedAuditRecord> records, CancellationToken cancellationToken)
    {
        if (records.Count == 0)
        {
            return;
        }

        var count = records.Count;
        var seqs = new long[count];
        var times = new DateTimeOffset[count];
        var kinds = new string[count];
        var subjects = new string?[count];
        var targets = new string?[count];
        var outcomes = new string[count];
        var texts = new string[count];
        for (var i = 0; i < count; i++)
        {
            var (record, json) = records[i];
            seqs[i] = record.Seq;
            times[i] = record.Time.ToUniversalTime();
            kinds[i] = record.Kind;
            subjects[i] = record.Subject;
            targets[i] = record.Target;
            outcomes[i] = record.Outcome;
            texts[i] = Encoding.UTF8.GetString(json);
        }

        var first = records[0].Record;
        var last = records[count - 1].Record;
        object[] values = [seqs, times, kinds, subjects, targets, outcomes, texts, first.Seq - 1, first.PrevHash, last.Seq, last.Hash];
        long seq;
        string hash;
        try
        {
            (seq, hash) = await AppendOnceAsync(values, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex) when (ex.IsTransient || (ex is PostgresException terminated && terminated.SqlState.StartsWith("57P", StringComparison.Ordinal)))
        {
            // A pooled connection the server dropped (a restart, an administrator) fails on first use; a new one is
            // opened for one more try. Should the first try have committed after all, the head now is this batch's end.
            (seq, hash) = await AppendOnceAsync(values, cancellationToken).ConfigureAwait(false);
            if (seq == last.Seq && hash == last.Hash)
            {
                return;
            }
        }

        if (seq != first.Seq - 1 || hash != first.PrevHash)
        {
            throw new AuditChainMovedException(seq, hash);
        }
    }

    /// <summary>
    /// One statement, one round trip: lock the head; only if it is where the batch was linked, insert the rows
    /// (travelling as arrays) and move the head. Answers with the head as it was.
    /// </summary>
    private async Task<(long Seq, string Hash)> AppendOnceAsync(object[] values, CancellationToken cancellationToken)
    {
        await using var append = _appends.CreateCommand(
            """
            WITH head AS (SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE),
                 linked AS (SELECT 1 FROM head WHERE seq = $8 AND hash = $9),
                 inserted AS (
                     INSERT INTO audit (seq, time, kind, subject, target, outcome, record)
                     SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
                     WHERE EXISTS (SELECT 1 FROM linked)
                     RETURNING 1),
                 moved AS (UPDATE audit_head SET seq = $10, hash = $11 WHERE id = 1 AND EXISTS (SELECT 1 FROM linked) RETURNING 1)
            SELECT seq, hash FROM head
            """);
        foreach (var value in values)
        {
            append.Parameters.Add(new() { Value = value });
        }

        await using var reader = await append.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return (reader.GetInt64(0), reader.GetString(1));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        await using var command = database.Command("");
        var where = new List<string>();
        string Bind(object value)
        {
            command.Parameters.Add(new() { Value = value });
            return "$" + command.Parameters.Count;
        }

        if (query.Subject is { } subject)
        {
            where.Add("subject = " + Bind(subject));
        }

        if (query.Target is { } target)
        {
            where.Add($"target LIKE {Bind(GlobToLike(target))}");
        }

        if (query.Kind is { } kind)
        {
            where.Add($"kind LIKE {Bind(GlobToLike(kind))}");
        }

        if (query.Outcome is { } outcome)
        {
            where.Add(outcome == "denied" ? $"outcome = ANY ({Bind(AuditQuery.DenialOutcomes.ToArray())})" : "outcome = " + Bind(outcome));
        }

        if (query.Since is { } since)
        {
            where.Add("time >= " + Bind(since.ToUniversalTime()));
        }

        if (query.AfterSeq is { } after)
        {
            where.Add("seq > " + Bind(after));
        }

        var limit = Bind(Math.Clamp(query.Limit, 1, 10_000));
        var filter = where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where);
        command.CommandText = query.Newest
            ? $"SELECT record FROM (SELECT seq, record FROM audit {filter} ORDER BY seq DESC LIMIT {limit}) newest ORDER BY seq"
            : $"SELECT record FROM audit {filter} ORDER BY seq LIMIT {limit}";
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
        await using var command = database.Command("DELETE FROM audit WHERE seq <= $1");
        command.Parameters.Add(new() { Value = seq });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task AddCheckpointAsync(Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        await using var command = database.Command(
            """
            INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (seq) DO UPDATE SET hash = excluded.hash, time = excluded.time, key_id = excluded.key_id, signature = excluded.signature
            """);
        command.Parameters.Add(new() { Value = checkpoint.Seq });
        command.Parameters.Add(new() { Value = checkpoint.Hash });
        command.Parameters.Add(new() { Value = checkpoint.Time.ToUniversalTime() });
        command.Parameters.Add(new() { Value = checkpoint.KeyId });
        command.Parameters.Add(new() { Value = checkpoint.Signature });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Checkpoint>> ListCheckpointsAsync(CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT seq, hash, time, key_id, signature FROM audit_checkpoints ORDER BY seq");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var checkpoints = new List<Checkpoint>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            checkpoints.Add(new Checkpoint(reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3), reader.GetString(4)));
        }

        return checkpoints;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditRecord> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT record FROM audit ORDER BY seq");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return Deserialize(reader.GetString(0));
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_appends != database.DataSource)
        {
            _appends.Dispose();
        }
    }

    /// <summary>A glob (<c>*</c>, <c>?</c>) as a LIKE pattern, with LIKE's own wildcards taken literally.</summary>
    internal static string GlobToLike(string glob)
    {
        var like = new StringBuilder(glob.Length + 4);
        foreach (var c in glob)
        {
            like.Append(c switch
            {
                '*' => "%",
                '?' => "_",
                '%' or '_' or '\\' => "\\" + c,
                _ => c.ToString(),
            });
        }

        return like.ToString();
    }

    private static AuditRecord Deserialize(string json) => JsonSerializer.Deserialize<AuditRecord>(json)!;
}
