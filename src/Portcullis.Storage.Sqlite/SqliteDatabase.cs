using Microsoft.Data.Sqlite;

namespace Portcullis.Storage.Sqlite;

/// <summary>
/// Opens the SQLite file (creating its folder) in WAL mode and brings the schema to the current version. Each
/// migration runs once, in order, inside a transaction; <c>PRAGMA user_version</c> records how far the file is.
/// </summary>
public sealed class SqliteDatabase
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE config_history (
            id        INTEGER PRIMARY KEY AUTOINCREMENT,
            version   TEXT NOT NULL,
            source    TEXT NOT NULL,
            at        TEXT NOT NULL,
            accepted  INTEGER NOT NULL,
            detail    TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE member_tokens (
            id          TEXT PRIMARY KEY,
            member      TEXT NOT NULL,
            kind        TEXT NOT NULL,
            roles       TEXT NOT NULL,
            servers     TEXT,
            agent       TEXT,
            tenant      TEXT,
            secret_hash BLOB NOT NULL,
            created_at  TEXT NOT NULL,
            expires_at  TEXT NOT NULL,
            revoked_at  TEXT,
            created_by  TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE kill_switches (
            target     TEXT NOT NULL,
            id         TEXT NOT NULL,
            engaged_at TEXT NOT NULL,
            engaged_by TEXT NOT NULL,
            reason     TEXT,
            PRIMARY KEY (target, id)
        );
        """,
        """
        CREATE TABLE registry_servers (
            id            TEXT PRIMARY KEY,
            state         TEXT NOT NULL,
            approved_by   TEXT,
            approved_at   TEXT,
            justification TEXT,
            updated_at    TEXT NOT NULL
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
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            server_id     TEXT NOT NULL,
            approved_by   TEXT NOT NULL,
            at            TEXT NOT NULL,
            justification TEXT,
            diff          TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE registry_submissions (
            id           TEXT PRIMARY KEY,
            definition   TEXT NOT NULL,
            submitted_by TEXT NOT NULL,
            submitted_at TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE audit (
            seq     INTEGER PRIMARY KEY,
            time    TEXT NOT NULL,
            kind    TEXT NOT NULL,
            subject TEXT,
            target  TEXT,
            outcome TEXT NOT NULL,
            record  TEXT NOT NULL
        );
        CREATE INDEX audit_subject ON audit (subject, seq);
        CREATE INDEX audit_time ON audit (time);
        """,
        """
        CREATE TABLE audit_checkpoints (
            seq       INTEGER PRIMARY KEY,
            hash      TEXT NOT NULL,
            time      TEXT NOT NULL,
            key_id    TEXT NOT NULL,
            signature TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE approvals (
            id             TEXT PRIMARY KEY,
            requester_key  TEXT NOT NULL,
            tool           TEXT NOT NULL,
            arguments_hash TEXT NOT NULL,
            status         TEXT NOT NULL,
            created_at     TEXT NOT NULL,
            record         TEXT NOT NULL
        );
        CREATE INDEX approvals_call ON approvals (requester_key, tool, arguments_hash, created_at);
        """,
        """
        CREATE TABLE secrets (
            name       TEXT PRIMARY KEY,
            nonce      BLOB NOT NULL,
            ciphertext BLOB NOT NULL,
            tag        BLOB NOT NULL,
            version    INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE budget_spent (
            subject TEXT NOT NULL,
            day     TEXT NOT NULL,
            spent   INTEGER NOT NULL,
            PRIMARY KEY (subject, day)
        ) WITHOUT ROWID;
        """,
    ];

    /// <summary>How times are stored: UTC, fixed width, so text order is time order and range queries compare text.</summary>
    internal const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    private readonly string _connectionString;
    private readonly string _dedicatedConnectionString;

    /// <summary>Opens or creates the database at <paramref name="path"/>.</summary>
    public SqliteDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true }.ToString();
        _dedicatedConnectionString = new SqliteConnectionStringBuilder { DataSource = Path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        Migrate();
    }

    /// <summary>Full path of the file.</summary>
    public string Path { get; }

    /// <summary>Opens a connection.</summary>
    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Opens a connection outside the pool, for a holder that keeps it (and its settings) to itself.</summary>
    public SqliteConnection OpenDedicated()
    {
        var connection = new SqliteConnection(_dedicatedConnectionString);
        connection.Open();
        return connection;
    }

    private void Migrate()
    {
        using var connection = Open();
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
            wal.ExecuteNonQuery();
        }

        using var versionCommand = connection.CreateCommand();
        versionCommand.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt32(versionCommand.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        for (var i = version; i < Migrations.Length; i++)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Migrations[i] + $"; PRAGMA user_version = {i + 1};";
            command.ExecuteNonQuery();
            transaction.Commit();
        }
    }
}
