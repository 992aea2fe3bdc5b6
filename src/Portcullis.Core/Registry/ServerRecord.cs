namespace Portcullis.Registry;

/// <summary>A server's registry entry.</summary>
public sealed record ServerRecord(string Id, ServerState State, string? ApprovedBy, DateTimeOffset? ApprovedAt, string? Justification, DateTimeOffset UpdatedAt);
