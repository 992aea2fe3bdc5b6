using Portcullis.Limits;

namespace Portcullis.Storage.Postgres;

/// <summary>Kill switches in PostgreSQL; engaging or releasing one tells every replica (<see cref="PostgresChanges"/>).</summary>
public sealed class PostgresKillSwitchStore(PostgresDatabase database) : IKillSwitchStore
{
    /// <summary>What a change to the switches is announced as.</summary>
    public const string Change = "kill_switches";

    /// <inheritdoc />
    public async Task<IReadOnlyList<KillSwitch>> ListAsync(CancellationToken cancellationToken)
    {
        await using var command = database.Command("SELECT target, id, engaged_at, engaged_by, reason FROM kill_switches ORDER BY engaged_at");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var kills = new List<KillSwitch>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            kills.Add(new KillSwitch(Enum.Parse<KillTarget>(reader.GetString(0)), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return kills;
    }

    /// <inheritdoc />
    public async Task EngageAsync(KillSwitch kill, CancellationToken cancellationToken) =>
        await database.ExecuteAndAnnounceAsync(
            Change,
            """
            INSERT INTO kill_switches (target, id, engaged_at, engaged_by, reason) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (target, id) DO UPDATE SET engaged_at = excluded.engaged_at, engaged_by = excluded.engaged_by, reason = excluded.reason
            """,
            [kill.Target.ToString(), kill.Id, kill.EngagedAt.ToUniversalTime(), kill.EngagedBy, kill.Reason],
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async Task<bool> ReleaseAsync(KillTarget target, string id, CancellationToken cancellationToken) =>
        await database.ExecuteAndAnnounceAsync(Change, "DELETE FROM kill_switches WHERE target = $1 AND id = $2", [target.ToString(), id], cancellationToken).ConfigureAwait(false) == 1;
}
