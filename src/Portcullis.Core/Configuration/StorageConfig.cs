namespace Portcullis.Configuration;

/// <summary>Durable state location. SQLite is the embedded default.</summary>
public sealed record StorageConfig
{
    /// <summary>Path of the SQLite database file, relative to the configuration file.</summary>
    public string Sqlite { get; init; } = ".portcullis/portcullis.db";
}
