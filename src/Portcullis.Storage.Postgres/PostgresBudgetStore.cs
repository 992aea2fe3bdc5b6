using System.Collections.Concurrent;
using Npgsql;
using Portcullis.Limits;

namespace Portcullis.Storage.Postgres;

/// <summary>
/// Daily budgets in PostgreSQL, one budget for every replica: each charge is a conditional upsert, so replicas
/// charging the same principal at once never spend past its budget together. Charges do not wait for the server's
/// flush (the call's audit record, written after, makes the same promise): waiting for it while holding the
/// principal's row lock put every charge of one principal behind the previous one's flush (measured: 0.05x of
/// direct at c=64).
/// </summary>
/// <remarks>
/// One charge per principal is in flight from this replica at a time; the charges that arrive meanwhile are made
/// together in one upsert when together they fit the budget, else one by one. A round trip per call cost a busy
/// principal's calls a quarter of their throughput (c=64, one member: 0.21x of direct without a budget, 0.15x with).
/// </remarks>
public sealed class PostgresBudgetStore(PostgresDatabase database) : IBudgetStore, IDisposable
{
    private readonly NpgsqlDataSource _charges = database.OpenDataSource("-c synchronous_commit=off");

    // One entry per principal charged since the start: small, and bounded by the principals there are.
    private readonly ConcurrentDictionary<string, ChargeQueue> _queues = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public ValueTask<long?> TryChargeAsync(string subject, DateOnly day, int cost, int daily, CancellationToken cancellationToken)
    {
        if (cost > daily)
        {
            return ValueTask.FromResult<long?>(null);
        }

        var queue = _queues.GetOrAdd(subject, static _ => new ChargeQueue());
        lock (queue)
        {
            if (queue.InFlight)
            {
                var waiting = new WaitingCharge(day, cost, daily);
                queue.Waiting.Add(waiting);
                return new ValueTask<long?>(waiting.Done.Task);
            }

            queue.InFlight = true;
        }

        return ChargeAloneAsync(queue, subject, day, cost, daily, cancellationToken);
    }

    private async ValueTask<long?> ChargeAloneAsync(ChargeQueue queue, string subject, DateOnly day, int cost, int daily, CancellationToken cancellationToken)
    {
        try
        {
            return await UpsertAsync(subject, day, cost, daily, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            bool waiting;
            lock (queue)
            {
                waiting = queue.Waiting.Count > 0;
                queue.InFlight = waiting;
            }

            if (waiting)
            {
                _ = Task.Run(() => ChargeWaitingAsync(queue, subject));
            }
        }
    }

    /// <summary>Charges what queued behind a charge in flight, a batch at a time, until nothing waits.</summary>
    private async Task ChargeWaitingAsync(ChargeQueue queue, string subject)
    {
        while (true)
        {
            List<WaitingCharge> batch;
            lock (queue)
            {
                if (queue.Waiting.Count == 0)
                {
                    queue.InFlight = false;
                    return;
                }

                batch = queue.Waiting;
                queue.Waiting = [];
            }

            try
            {
                await ChargeBatchAsync(subject, batch).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                foreach (var charge in batch)
                {
                    charge.Done.TrySetException(ex);
                }
            }
        }
    }

    private async Task ChargeBatchAsync(string subject, List<WaitingCharge> batch)
    {
        // Together within the smallest budget among them means each fits its own at its place in the order.
        var day = batch[0].Day;
        long total = 0;
        var daily = int.MaxValue;
        foreach (var charge in batch)
        {
            total += charge.Cost;
            daily = Math.Min(daily, charge.Daily);
        }

        if (batch.Count > 1 && total <= daily && batch.TrueForAll(c => c.Day == day)
            && await UpsertAsync(subject, day, total, daily, CancellationToken.None).ConfigureAwait(false) is long spent)
        {
            for (var i = batch.Count - 1; i >= 0; i--)
            {
                batch[i].Done.TrySetResult(spent);
                spent -= batch[i].Cost;
            }

            return;
        }

        foreach (var charge in batch)
        {
            charge.Done.TrySetResult(await UpsertAsync(subject, charge.Day, charge.Cost, charge.Daily, CancellationToken.None).ConfigureAwait(false));
        }
    }

    private async Task<long?> UpsertAsync(string subject, DateOnly day, long cost, int daily, CancellationToken cancellationToken)
    {
        try
        {
            // The update happens only while the total stays within the budget; a refused charge returns no row.
            await using var command = _charges.CreateCommand("""
                INSERT INTO budget_spent (subject, day, spent) VALUES ($1, $2, $3)
                ON CONFLICT (subject, day) DO UPDATE SET spent = budget_spent.spent + excluded.spent WHERE budget_spent.spent + excluded.spent <= $4
                RETURNING spent
                """);
            command.Parameters.Add(new() { Value = subject });
            command.Parameters.Add(new() { Value = day });
            command.Parameters.Add(new() { Value = cost });
            command.Parameters.Add(new() { Value = (long)daily });
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long spent ? spent : null;
        }
        catch (NpgsqlException ex)
        {
            throw new StoreUnavailableException("the budget store cannot be written: " + ex.Message, ex);
        }
    }

    /// <inheritdoc />
    public async Task<long> SpentAsync(string subject, DateOnly day, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = database.Command("SELECT spent FROM budget_spent WHERE subject = $1 AND day = $2");
            command.Parameters.Add(new() { Value = subject });
            command.Parameters.Add(new() { Value = day });
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long spent ? spent : 0;
        }
        catch (NpgsqlException ex)
        {
            throw new StoreUnavailableException("the budget store cannot be read: " + ex.Message, ex);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<BudgetSpent>> ListAsync(DateOnly day, CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT subject, spent FROM budget_spent WHERE day = $1 ORDER BY spent DESC, subject");
        command.Parameters.Add(new() { Value = day });
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
        await using var command = database.Command("DELETE FROM budget_spent WHERE day < $1");
        command.Parameters.Add(new() { Value = before });
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _charges.Dispose();

    private sealed class ChargeQueue
    {
        public bool InFlight;
        public List<WaitingCharge> Waiting = [];
    }

    private sealed class WaitingCharge(DateOnly day, int cost, int daily)
    {
        public DateOnly Day { get; } = day;

        public int Cost { get; } = cost;

        public int Daily { get; } = daily;

        public TaskCompletionSource<long?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
