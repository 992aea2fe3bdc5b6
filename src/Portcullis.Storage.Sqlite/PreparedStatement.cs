using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Portcullis.Storage.Sqlite;

/// <summary>
/// A statement of the hot path on a connection of its own: parsed once, not on every use (parsing cost more than
/// running it). One caller at a time; after a failure the connection is closed and reopened on the next use.
/// </summary>
internal sealed class PreparedStatement(SqliteDatabase database, string sql, IReadOnlyList<(string Name, SqliteType Type)> parameters, string? pragmas = null) : IDisposable
{
    private readonly Lock _lock = new();
    private SqliteConnection? _connection;
    private SqliteCommand? _command;
    private sqlite3_stmt? _native;

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
                return use(_command ??= PrepareCommand(), state);
            }
            catch
            {
                Close();
                throw;
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="use"/> with the connection's SQLite handle and the statement prepared on it, for a caller
    /// that binds UTF-8 text and spans itself: the command copies every text parameter into a new buffer first.
    /// </summary>
    public T RunNative<TState, T>(TState state, Func<sqlite3, sqlite3_stmt, TState, T> use)
    {
        lock (_lock)
        {
            try
            {
                var handle = Connection().Handle!;
                if (_native is null)
                {
                    Check(raw.sqlite3_prepare_v2(handle, sql, out var statement), handle);
                    _native = statement;
                }

                return use(handle, _native, state);
            }
            catch
            {
                Close();
                throw;
            }
        }
    }

    /// <summary>Throws the driver's exception for a SQLite result code that is an error.</summary>
    public static void Check(int rc, sqlite3 handle)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            SqliteException.ThrowExceptionForRC(rc, handle);
        }
    }

    private SqliteConnection Connection()
    {
        if (_connection is null)
        {
            var connection = database.OpenDedicated();

            // The driver's commands wait out another connection's write lock in their own retry loop; statements run
            // natively bypass it, so SQLite itself is told to wait as long.
            Check(raw.sqlite3_busy_timeout(connection.Handle!, connection.DefaultTimeout * 1000), connection.Handle!);
            if (pragmas is not null)
            {
                using var pragma = connection.CreateCommand();
                pragma.CommandText = pragmas;
                pragma.ExecuteNonQuery();
            }

            _connection = connection;
        }

        return _connection;
    }

    private SqliteCommand PrepareCommand()
    {
        var command = Connection().CreateCommand();
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
        _native?.Dispose();
        _command?.Dispose();
        _connection?.Dispose();
        _native = null;
        _command = null;
        _connection = null;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            Close();
        }
    }
}
