using System.Globalization;
using Portcullis.Limits;

namespace Portcullis.Storage.Sqlite;

/// <summary>Kill switches in SQLite.</summary>
public sealed class SqliteKillSwitchStore(SqliteDatabase database) : IKillSwitchStore
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<KillSwitch>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT target, id, engaged_at, engaged_by, reason FROM kill_switches ORDER BY engaged_at";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var kills = new List<KillSwitch>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            kills.Add(new KillSwitch(Enum.Parse<KillTarget>(reader.GetString(0)), reader.GetString(1), DateTimeOffset.Parse(reader.GetString(2), CultureInfo.InvariantCulture), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return kills;
    }

    /// <inheritdoc />
    public async Task EngageAsync(KillSwitch kill, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO kill_switches (target, id, engaged_at, engaged_by, reason) VALUES ($target, $id, $at, $by, $reason)";
        command.Parameters.AddWithValue("$target", kill.Target.ToString());
        command.Parameters.AddWithValue("$id", kill.Id);
        command.Parameters.AddWithValue("$at", kill.EngagedAt.ToString("O", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$by", kill.EngagedBy);
        command.Parameters.AddWithValue("$reason", (object?)kill.Reason ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> ReleaseAsync(KillTarget target, string id, CancellationToken cancellationToken)
    {
        await using var connection = database.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "DELETE FROM kill_switches WHERE target = $target AND id = $id";
        command.Parameters.AddWithValue("$target", target.ToString());
        command.Parameters.AddWithValue("$id", id);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }
}
