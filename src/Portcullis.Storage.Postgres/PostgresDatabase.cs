using Npgsql;
using Portcullis.Audit;
using Portcullis.Configuration;

namespace Portcullis.Storage.Postgres;

/// <summary>
/// The PostgreSQL database several replicas share. Opening it brings the schema to the current version: each
/// missing migration runs once, in order, in one transaction under an advisory lock, so that replicas starting together
/// migrate once; <c>portcullis_schema</c> records how far the database is. Writes that other replicas must see at
/// once (kill switches, the registry, approvals) announce themselves on the <see cref="Channel"/> notification channel.
/// </summary>
public sealed class PostgresDatabase : IDisposable
{
    /// <summary>The notification channel on which writes announce what changed.</summary>
    public const string Channel = "portcullis_changes";

    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE config_history (
            id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            version  TEXT NOT NULL,
            source   TEXT NOT NULL,
            at       TIMESTAMPTZ NOT NULL,
            accepted BOOLEAN NOT NULL,
            detail   TEXT NOT NULL
        );
        CREATE TABLE member_tokens (
            id          TEXT PRIMARY KEY,
            member      TEXT NOT NULL,
            kind        TEXT NOT NULL,
            roles       TEXT[] NOT NULL,
            servers     TEXT[],
            agent       TEXT,
            tenant      TEXT,
            secret_hash BYTEA NOT NULL,
            created_at  TIMESTAMPTZ NOT NULL,
            expires_at  TIMESTAMPTZ NOT NULL,
            revoked_at  TIMESTAMPTZ,
            created_by  TEXT NOT NULL
        );
        CREATE TABLE kill_switches (
            target     TEXT NOT NULL,
            id         TEXT NOT NULL,
            engaged_at TIMESTAMPTZ NOT NULL,
            engaged_by TEXT NOT NULL,
            reason     TEXT,
            PRIMARY KEY (target, id)
        );
        CREATE TABLE registry_servers (
            id            TEXT PRIMARY KEY,
            state         TEXT NOT NULL,
            approved_by   TEXT,
            approved_at   TIMESTAMPTZ,
            justification TEXT,
            updated_at    TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE registry_pins (
            server_id TEXT NOT NULL,
            kind      TEXT NOT NULL,
            name      TEXT NOT NULL,
            hash      TEXT NOT NULL,
            canonical TEXT NOT NULL,
            PRIMARY KEY (server_id, kind, name)
        );
        CREATE TABLE registry_approvals (
            id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            server_id     TEXT NOT NULL,
            approved_by   TEXT NOT NULL,
            at            TIMESTAMPTZ NOT NULL,
            justification TEXT,
            diff          TEXT NOT NULL
        );
        CREATE TABLE registry_submissions (
            id           TEXT PRIMARY KEY,
            definition   TEXT NOT NULL,
            submitted_by TEXT NOT NULL,
            submitted_at TIMESTAMPTZ NOT NULL
        );
        CREATE TABLE audit (
            seq     BIGINT PRIMARY KEY,
            time    TIMESTAMPTZ NOT NULL,
            kind    TEXT NOT NULL,
            subject TEXT,
            target  TEXT,
            outcome TEXT NOT NULL,
            record  TEXT NOT NULL
        );
        CREATE INDEX audit_subject ON audit (subject, seq);
        CREATE INDEX audit_time ON audit (time);
        CREATE TABLE audit_head (
            id   INTEGER PRIMARY KEY CHECK (id = 1),
            seq  BIGINT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TABLE audit_checkpoints (
            seq       BIGINT PRIMARY KEY,
            hash      TEXT NOT NULL,
            time      TIMESTAMPTZ NOT NULL,
            key_id    TEXT NOT NULL,
            signature TEXT NOT NULL
        );
        CREATE TABLE approvals (
            id             TEXT PRIMARY KEY,
            requester_key  TEXT NOT NULL,
            tool           TEXT NOT NULL,
            arguments_hash TEXT NOT NULL,
            status         TEXT NOT NULL,
            created_at     TIMESTAMPTZ NOT NULL,
            record         TEXT NOT NULL
        );
        CREATE INDEX approvals_call ON approvals (requester_key, tool, arguments_hash, created_at);
        CREATE TABLE secrets (
            name       TEXT PRIMARY KEY,
            nonce      BYTEA NOT NULL,
            ciphertext BYTEA NOT NULL,
            tag        BYTEA NOT NULL,
            version    BIGINT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL
        );
        """,
        """
        CREATE TABLE budget_spent (
            subject TEXT NOT NULL,
            day     DATE NOT NULL,
            spent   BIGINT NOT NULL,
            PRIMARY KEY (subject, day)
        );
        """,
    ];

    // Any fixed number: replicas agree on it, and nothing else of ours takes it.
    private const long MigrationLock = 0x706f7274_63756c6c;

    /// <summary>Connects with <paramref name="config"/> and migrates the schema.</summary>
    public PostgresDatabase(PostgresConfig config)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(config.ConnectionString);
        }
        catch (ArgumentException ex)
        {
            throw new StoreUnavailableException($"storage.postgres.connectionString is not a valid connection string: {ex.Message}", ex);
        }

        if (config.PasswordEnv is { } variable)
        {
            builder.Password = Environment.GetEnvironmentVariable(variable)
                ?? throw new StoreUnavailableException($"storage.postgres.passwordEnv names {variable}, which is not set");
        }

        // Statements repeat on every call (the token lookup, the audit append): prepare them once per connection. No
        // store changes a connection's session state (the audit pool's setting comes with its connections), so a
        // pooled connection needs no reset on its way back to the pool.
        if (builder.MaxAutoPrepare == 0)
        {
            builder.MaxAutoPrepare = 32;
        }

        builder.NoResetOnClose = true;
        ConnectionString = builder.ConnectionString;
        Description = $"{builder.Host}:{builder.Port}/{builder.Database}";
        DataSource = NpgsqlDataSource.Create(builder);
        try
        {
            Migrate();
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
        {
            DataSource.Dispose();
            throw new StoreUnavailableException($"cannot open the PostgreSQL store at {Description}: {ex.Message}", ex);
        }
    }

    /// <summary>The pool every store draws connections from.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>Where the database is, for messages (never the password).</summary>
    public string Description { get; }

    /// <summary>The full connection string (password included), for pools of other settings.</summary>
    internal string ConnectionString { get; }

    /// <summary>A pool of its own whose connections start with these server <paramref name="options"/> (<c>-c name=value</c>).</summary>
    internal NpgsqlDataSource OpenDataSource(string options)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString);
        builder.Options = string.IsNullOrEmpty(builder.Options) ? options : builder.Options + " " + options;
        return NpgsqlDataSource.Create(builder);
    }

    /// <summary>A command on a pooled connection of its own.</summary>
    public NpgsqlCommand Command(string sql) => DataSource.CreateCommand(sql);

    /// <summary>Runs <paramref name="write"/> in a transaction that also announces <paramref name="change"/> to every replica on commit.</summary>
    internal async Task<T> WriteAndAnnounceAsync<T>(string change, Func<NpgsqlConnection, NpgsqlTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var result = await write(connection, transaction).ConfigureAwait(false);
        await using (var notify = new NpgsqlCommand($"SELECT pg_notify('{Channel}', $1)", connection, transaction))
        {
            notify.Parameters.Add(new NpgsqlParameter { Value = change });
            await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>One statement with positional values (null for SQL NULL), announced as <paramref name="change"/>; returns the rows it touched.</summary>
    internal Task<int> ExecuteAndAnnounceAsync(string change, string sql, object?[] values, CancellationToken cancellationToken) =>
        WriteAndAnnounceAsync(change, async (connection, transaction) =>
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            foreach (var value in values)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
            }

            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => DataSource.Dispose();

    private void Migrate()
    {
        using var connection = DataSource.OpenConnection();
        using (var transaction = connection.BeginTransaction())
        {
            Execute(connection, transaction, $"SELECT pg_advisory_xact_lock({MigrationLock})");
            Execute(connection, transaction, "CREATE TABLE IF NOT EXISTS portcullis_schema (version INTEGER NOT NULL)");
            using var read = new NpgsqlCommand("SELECT max(version) FROM portcullis_schema", connection, transaction);
            var version = read.ExecuteScalar() is int v ? v : 0;
            for (var i = version; i < Migrations.Length; i++)
            {
                Execute(connection, transaction, Migrations[i]);
                Execute(connection, transaction, $"INSERT INTO portcullis_schema (version) VALUES ({i + 1})");
            }

            // The chain's head starts at the genesis hash; the audit store moves it with every append.
            using var head = new NpgsqlCommand("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, $1) ON CONFLICT (id) DO NOTHING", connection, transaction);
            head.Parameters.Add(new NpgsqlParameter { Value = AuditChain.Genesis });
            head.ExecuteNonQuery();
            transaction.Commit();
        }
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
