using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Portcullis.Limits;

namespace Portcullis.Storage.Sqlite;

/// <summary>
/// Daily budgets in SQLite. The file serves one gateway process, so that process's totals are the truth: a charge is
/// decided in memory (the day's total read from the file the first time a principal is charged that day) and written
/// behind, every <see cref="FlushInterval"/>, in one transaction for all the principals charged since. A write per
/// call would take SQLite's write lock from the audit's group commit on every call (measured: c=64 fell to a third).
/// A crash loses at most the last interval's charges. When a write fails (a full disk, say), charges are refused
/// until one succeeds, so spending is never let through uncounted for longer than that interval.
/// </summary>
public sealed class SqliteBudgetStore : IBudgetStore, IAsyncDisposable
{
    /// <summary>How often charges are written to the file.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);

    private readonly SqliteDatabase _database;
    private readonly ConcurrentDictionary<(string Subject, DateOnly Day), Total> _totals = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _writer;
    private volatile Exception? _failure;

    /// <summary>Starts writing charges behind to <paramref name="database"/>.</summary>
    public SqliteBudgetStore(SqliteDatabase database)
    {
        _database = database;
        _writer = WriteBehindAsync();
    }

    /// <inheritdoc />
    public ValueTask<long?> TryChargeAsync(string subject, DateOnly day, int cost, int daily, CancellationToken cancellationToken)
    {
        if (_failure is { } failure)
        {
            throw new StoreUnavailableException("the budget store cannot be written: " + failure.Message, failure);
        }

        // The governed call's path: a principal already charged today costs no read and no allocation.
        return _totals.TryGetValue((subject, day), out var total)
            ? new ValueTask<long?>(Charge(total, cost, daily))
            : LoadAndChargeAsync(subject, day, cost, daily, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<long> SpentAsync(string subject, DateOnly day, CancellationToken cancellationToken)
    {
        var total = await TotalAsync(subject, day, cancellationToken).ConfigureAwait(false);
        lock (total)
        {
            return total.Spent;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<BudgetSpent>> ListAsync(DateOnly day, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = _database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT subject, spent FROM budget_spent WHERE day = $day ORDER BY spent DESC, subject";
        command.Parameters.AddWithValue("$day", Day(day));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<BudgetSpent>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new BudgetSpent(reader.GetString(0), reader.GetInt64(1)));
        }

        return list;
    }

    /// <inheritdoc />
    public async Task<int> PruneAsync(DateOnly before, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        foreach (var key in _totals.Keys.Where(k => k.Day < before))
        {
            _totals.TryRemove(key, out _);
        }

        await using var connection = _database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM budget_spent WHERE day < $before";
        command.Parameters.AddWithValue("$before", Day(before));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops writing behind and writes what is left.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _writer.ConfigureAwait(false);
        try
        {
            await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (SqliteException)
        {
            // Nothing more can be done at shutdown; the charges of the last interval are lost, as in a crash.
        }

        _stop.Dispose();
    }

    private async ValueTask<long?> LoadAndChargeAsync(string subject, DateOnly day, int cost, int daily, CancellationToken cancellationToken) =>
        Charge(await TotalAsync(subject, day, cancellationToken).ConfigureAwait(false), cost, daily);

    private static long? Charge(Total total, int cost, int daily)
    {
        lock (total)
        {
            if (total.Spent + cost > daily)
            {
                return null;
            }

            total.Spent += cost;
            total.Dirty = true;
            return total.Spent;
        }
    }

    /// <summary>The day's total in memory, read from the file the first time it is asked for.</summary>
    private async ValueTask<Total> TotalAsync(string subject, DateOnly day, CancellationToken cancellationToken)
    {
        if (_totals.TryGetValue((subject, day), out var known))
        {
            return known;
        }

        try
        {
            await using var connection = _database.Open();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT spent FROM budget_spent WHERE subject = $subject AND day = $day";
            command.Parameters.AddWithValue("$subject", subject);
            command.Parameters.AddWithValue("$day", Day(day));
            var stored = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long spent ? spent : 0;
            return _totals.GetOrAdd((subject, day), new Total { Spent = stored });
        }
        catch (SqliteException ex)
        {
            throw new StoreUnavailableException("the budget store cannot be read: " + ex.Message, ex);
        }
    }

    private async Task WriteBehindAsync()
    {
        using var timer = new PeriodicTimer(FlushInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync(_stop.Token).ConfigureAwait(false);
                }
                catch (SqliteException)
                {
                    // Recorded in _failure: charges are refused until a write succeeds.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>Writes every total charged since the last write, in one transaction.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A day that has ended is charged no more: today's and yesterday's totals stay in memory, older ones go once written.
            var recent = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1);
            var dirty = new List<((string Subject, DateOnly Day) Key, Total Total, long Spent)>();
            foreach (var (key, total) in _totals)
            {
                lock (total)
                {
                    if (total.Dirty)
                    {
                        dirty.Add((key, total, total.Spent));
                        total.Dirty = false;
                    }
                    else if (key.Day < recent)
                    {
                        _totals.TryRemove(key, out _);
                    }
                }
            }

            if (dirty.Count == 0)
            {
                _failure = null;
                return;
            }

            try
            {
                await using var connection = _database.Open();
                await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "INSERT INTO budget_spent (subject, day, spent) VALUES ($subject, $day, $spent) ON CONFLICT (subject, day) DO UPDATE SET spent = excluded.spent";
                var subject = command.Parameters.Add("$subject", SqliteType.Text);
                var day = command.Parameters.Add("$day", SqliteType.Text);
                var spent = command.Parameters.Add("$spent", SqliteType.Integer);
                foreach (var item in dirty)
                {
                    (subject.Value, day.Value, spent.Value) = (item.Key.Subject, Day(item.Key.Day), item.Spent);
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                _failure = null;
            }
            catch (Exception ex) when (ex is SqliteException or OperationCanceledException)
            {
                foreach (var item in dirty)
                {
                    lock (item.Total)
                    {
                        item.Total.Dirty = true;
                    }
                }

                if (ex is SqliteException)
                {
                    _failure = ex;
                }

                throw;
            }
        }
        finally
        {
            _flushing.Release();
        }
    }

    // ISO dates: text order is date order.
    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A principal's total for a day; guarded by its own lock.</summary>
    private sealed class Total
    {
        public long Spent;
        public bool Dirty;
    }
}
