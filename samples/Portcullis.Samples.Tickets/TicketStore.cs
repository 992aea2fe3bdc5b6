namespace Portcullis.Samples.Tickets;

/// <summary>The tickets of one server process, seeded with a few examples. Thread-safe.</summary>
public sealed class TicketStore
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<int, Ticket> _tickets = [];
    private int _nextId = 1;

    /// <summary>Creates a store with three example tickets.</summary>
    public TicketStore()
    {
        Create("Printer on floor 3 is jammed", "Paper jam in tray 2, error E-104.", "normal");
        Create("VPN drops every hour", "Since Monday the VPN disconnects on the hour.", "high");
        Create("Request: second monitor", "For the new analyst starting next week.", "low");
    }

    public IReadOnlyList<Ticket> List(string? status)
    {
        lock (_lock)
        {
            return _tickets.Values.Where(t => status is null || t.Status == status).ToList();
        }
    }

    public Ticket? Get(int id)
    {
        lock (_lock)
        {
            return _tickets.GetValueOrDefault(id);
        }
    }

    public Ticket Create(string title, string description, string priority)
    {
        lock (_lock)
        {
            var ticket = new Ticket(_nextId++, title, description, priority, "open", DateTimeOffset.UtcNow);
            _tickets[ticket.Id] = ticket;
            return ticket;
        }
    }

    public Ticket? Update(int id, Func<Ticket, Ticket> change)
    {
        lock (_lock)
        {
            if (!_tickets.TryGetValue(id, out var ticket))
            {
                return null;
            }

            return _tickets[id] = change(ticket);
        }
    }

    public bool Delete(int id)
    {
        lock (_lock)
        {
            return _tickets.Remove(id);
        }
    }
}
