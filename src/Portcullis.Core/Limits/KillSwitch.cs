namespace Portcullis.Limits;

/// <summary>An engaged kill switch.</summary>
public sealed record KillSwitch(KillTarget Target, string Id, DateTimeOffset EngagedAt, string EngagedBy, string? Reason);
