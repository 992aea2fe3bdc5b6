using Microsoft.Extensions.Logging;
using Npgsql;

namespace Portcullis.Storage.Postgres;

/// <summary>
/// Hears what other replicas changed in the shared database (<see cref="PostgresDatabase.Channel"/>) and hands each
/// change to the replica's own state. On every (re)connection it reports <see cref="Everything"/>: what changed while
/// nobody listened is not announced again.
/// </summary>
public sealed partial class PostgresChanges(PostgresDatabase database, ILogger<PostgresChanges> logger)
{
    /// <summary>Reported after (re)connecting: reload everything kept.</summary>
    public const string Everything = "*";

    /// <summary>Listens until <paramref name="cancellationToken"/> fires, reconnecting with backoff when the connection drops.</summary>
    public async Task ListenAsync(Func<string, CancellationToken, Task> changed, CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                var heard = new List<string>();
                connection.Notification += (_, e) => heard.Add(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresDatabase.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await changed(Everything, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromSeconds(1);
                while (true)
                {
                    await connection.WaitAsync(cancellationToken).ConfigureAwait(false);
                    foreach (var what in heard.Distinct(StringComparer.Ordinal).ToList())
                    {
                        await changed(what, cancellationToken).ConfigureAwait(false);
                    }

                    heard.Clear();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogListenFailed(database.Description, backoff.TotalSeconds, ex.Message);
                await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromSeconds(Math.Min(backoff.TotalSeconds * 2, 30));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not hearing other replicas' changes in {Database} ({Reason}); kill switches and registry changes made elsewhere arrive when it reconnects, in {Seconds} s")]
    private partial void LogListenFailed(string database, double seconds, string reason);
}
