using System.ComponentModel;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace Portcullis.Samples.Tickets;

/// <summary>The server's tools. Errors are thrown as <see cref="McpException"/>, which the SDK returns as tool errors.</summary>
public sealed class TicketTools(TicketStore store)
{
    private static readonly string[] Priorities = ["low", "normal", "high"];
    private static readonly string[] Statuses = ["open", "in_progress", "closed"];

    [McpServerTool(Name = "list_tickets", Title = "List tickets", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Lists tickets, optionally only those with a given status (open, in_progress, closed).")]
    public IReadOnlyList<Ticket> ListTickets([Description("Only tickets with this status.")] string? status = null)
    {
        if (status is not null && !Statuses.Contains(status))
        {
            throw new McpException($"status must be one of {string.Join(", ", Statuses)}");
        }

        return store.List(status);
    }

    [McpServerTool(Name = "get_ticket", Title = "Get a ticket", ReadOnly = true, Idempotent = true, OpenWorld = false)]
    [Description("Returns one ticket by id.")]
    public Ticket GetTicket([Description("Ticket id.")] int id) =>
        store.Get(id) ?? throw new McpException($"No ticket with id {id}.");

    [McpServerTool(Name = "create_ticket", Title = "Create a ticket", ReadOnly = false, Destructive = false, Idempotent = false, OpenWorld = false)]
    [Description("Creates a ticket and returns it.")]
    public Ticket CreateTicket(
        [Description("One-line summary.")] string title,
        [Description("Details.")] string description = "",
        [Description("low, normal or high.")] string priority = "normal")
    {
        if (string.IsNullOrWhiteSpace(title))
        {
            throw new McpException("title must not be empty");
        }

        if (!Priorities.Contains(priority))
        {
            throw new McpException($"priority must be one of {string.Join(", ", Priorities)}");
        }

        return store.Create(title, description, priority);
    }

    [McpServerTool(Name = "update_ticket", Title = "Update a ticket", ReadOnly = false, Destructive = false, Idempotent = true, OpenWorld = false)]
    [Description("Changes a ticket's status, priority or title and returns it.")]
    public Ticket UpdateTicket(
        [Description("Ticket id.")] int id,
        [Description("open, in_progress or closed.")] string? status = null,
        [Description("low, normal or high.")] string? priority = null,
        [Description("New title.")] string? title = null)
    {
        if (status is not null && !Statuses.Contains(status))
        {
            throw new McpException($"status must be one of {string.Join(", ", Statuses)}");
        }

        if (priority is not null && !Priorities.Contains(priority))
        {
            throw new McpException($"priority must be one of {string.Join(", ", Priorities)}");
        }

        return store.Update(id, t => t with { Status = status ?? t.Status, Priority = priority ?? t.Priority, Title = title ?? t.Title })
            ?? throw new McpException($"No ticket with id {id}.");
    }

    [McpServerTool(Name = "delete_ticket", Title = "Delete a ticket", ReadOnly = false, Destructive = true, Idempotent = true, OpenWorld = false)]
    [Description("Deletes a ticket permanently.")]
    public string DeleteTicket([Description("Ticket id.")] int id) =>
        store.Delete(id) ? $"Deleted ticket {id}." : throw new McpException($"No ticket with id {id}.");
}
