namespace Portcullis.Configuration;

/// <summary>Durable state location. SQLite is the embedded default; PostgreSQL lets several replicas share one state.</summary>
public sealed record StorageConfig
{
    /// <summary>Path of the SQLite database file, relative to the configuration file.</summary>
    public string Sqlite { get; init; } = ".portcullis/portcullis.db";

    /// <summary>When set, every store lives in this PostgreSQL database instead of the SQLite file.</summary>
    public PostgresConfig? Postgres { get; init; }
}

/// <summary>
/// A PostgreSQL database shared by the gateway's replicas. The password never sits in the file: it comes from the
/// variable <see cref="PasswordEnv"/> names, or from what the driver reads itself (<c>PGPASSWORD</c>, a passfile).
/// </summary>
public sealed record PostgresConfig
{
    /// <summary>Host, port, database, user and options, as a connection string without a password.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Environment variable holding the password.</summary>
    public string? PasswordEnv { get; init; }
}
