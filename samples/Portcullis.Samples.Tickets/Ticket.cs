namespace Portcullis.Samples.Tickets;

/// <summary>A support ticket.</summary>
public sealed record Ticket(int Id, string Title, string Description, string Priority, string Status, DateTimeOffset CreatedAt);
