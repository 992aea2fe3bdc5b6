using Microsoft.Data.Sqlite;

namespace Portcullis.Storage.Sqlite;

/// <summary>
/// A statement of the hot path on a connection of its own: parsed once, not on every use (parsing cost more than
/// running it). One caller at a time; after a failure the connection is closed and reopened on the next use.
/// </summary>
internal sealed class PreparedStatement(SqliteDatabase database, string sql, IReadOnlyList<(string Name, SqliteType Type)> parameters, string? pragmas = null) : IDisposable
{
    private readonly Lock _lock = new();
    private SqliteCommand? _command;

    /// <summary>
    /// Runs <paramref name="use"/> with the prepared command (parameters in declaration order) and
    /// <paramref name="state"/>, passed in so that a static lambda allocates nothing per use.
    /// </summary>
    public T Run<TState, T>(TState state, Func<SqliteCommand, TState, T> use)
    {
        lock (_lock)
        {
            try
            {
                return use(_command ??= Prepare(), state);
            }
            catch
            {
                Close();
                throw;
            }
        }
    }

    private SqliteCommand Prepare()
    {
        var connection = database.OpenDedicated();
        if (pragmas is not null)
        {
            using var pragma = connection.CreateCommand();
            pragma.CommandText = pragmas;
            pragma.ExecuteNonQuery();
        }

        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, type) in parameters)
        {
            command.Parameters.Add(name, type);
        }

        command.Prepare();
        return command;
    }

    private void Close()
    {
        var connection = _command?.Connection;
        _command?.Dispose();
        connection?.Dispose();
        _command = null;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            Close();
        }
    }
}
