using System.Globalization;
using Microsoft.Data.Sqlite;
using Portcullis.Limits;

namespace Portcullis.Storage.Sqlite;

/// <summary>Daily budgets in SQLite: each charge is one conditional upsert, committed before the call goes on.</summary>
public sealed class SqliteBudgetStore(SqliteDatabase database) : IBudgetStore
{
    /// <inheritdoc />
    public async Task<long?> TryChargeAsync(string subject, DateOnly day, int cost, int daily, CancellationToken cancellationToken)
    {
        if (cost > daily)
        {
            return null;
        }

        try
        {
            await using var connection = database.Open();
            await using var command = connection.CreateCommand();
            // The update happens only while the total stays within the budget; a refused charge returns no row.
            command.CommandText = """
                INSERT INTO budget_spent (subject, day, spent) VALUES ($subject, $day, $cost)
                ON CONFLICT (subject, day) DO UPDATE SET spent = spent + excluded.spent WHERE spent + excluded.spent <= $daily
                RETURNING spent
                """;
            command.Parameters.AddWithValue("$subject", subject);
            command.Parameters.AddWithValue("$day", Day(day));
            command.Parameters.AddWithValue("$cost", cost);
            command.Parameters.AddWithValue("$daily", daily);
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long spent ? spent : null;
        }
        catch (SqliteException ex)
        {
            throw new StoreUnavailableException("the budget store cannot be written: " + ex.Message, ex);
        }
    }

    /// <inheritdoc />
    public async Task<long> SpentAsync(string subject, DateOnly day, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = database.Open();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT spent FROM budget_spent WHERE subject = $subject AND day = $day";
            command.Parameters.AddWithValue("$subject", subject);
            command.Parameters.AddWithValue("$day", Day(day));
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long spent ? spent : 0;
        }
        catch (SqliteException ex)
        {
            throw new StoreUnavailableException("the budget store cannot be read: " + ex.Message, ex);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<BudgetSpent>> ListAsync(DateOnly day, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
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
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM budget_spent WHERE day < $before";
        command.Parameters.AddWithValue("$before", Day(before));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // ISO dates: text order is date order.
    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
