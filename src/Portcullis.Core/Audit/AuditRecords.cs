using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Portcullis.Identity;
using Portcullis.Pipeline;
using Portcullis.Registry;
using Portcullis.Scanning;

namespace Portcullis.Audit;

/// <summary>Builds audit records from what the pipeline decided and did.</summary>
public static class AuditRecords
{
    /// <summary>Longest result summary kept in a record.</summary>
    public const int SummaryChars = 500;

    /// <summary>The record of a governed call.</summary>
    public static AuditRecord FromCall(GovernedCall call, double latencyMs, string? kind = null, string? outcome = null)
    {
        var (arguments, argumentsHash) = Arguments(call);
        return WithPrincipal(new AuditRecord
        {
            Time = DateTimeOffset.UtcNow,
            Kind = kind ?? call.Kind switch { CallKind.ToolCall => "tools/call", CallKind.ResourceRead => "resources/read", _ => "prompts/get" },
            TraceId = call.TraceId,
            SessionId = call.Session.Id,
            ServerId = call.Upstream?.Id,
            Target = call.Target,
            PinHash = call.PinHash,
            Arguments = arguments,
            ArgumentsHash = argumentsHash,
            Stages = [.. call.StageLog],
            PolicyRule = call.Decision?.RuleId,
            PolicyVersion = call.Decision?.PolicyVersion,
            Outcome = outcome ?? Outcome(call),
            Reason = call.Rejection?.Message,
            ResultSummary = Summary(call.Result),
            Actions = [.. call.Actions],
            LatencyMs = Math.Round(latencyMs, 3),
        }, call.Principal);
    }

    /// <summary>The record of a list request.</summary>
    public static AuditRecord FromList(string method, Principal principal, string sessionId, int count, double latencyMs) => WithPrincipal(new AuditRecord
    {
        Time = DateTimeOffset.UtcNow,
        Kind = method,
        SessionId = sessionId,
        Outcome = "success",
        ResultSummary = $"{count} items",
        LatencyMs = Math.Round(latencyMs, 3),
    }, principal);

    /// <summary>The record of an admin action.</summary>
    public static AuditRecord FromAdmin(string action, string target, Principal? principal, string outcome, string? detail) => WithPrincipal(new AuditRecord
    {
        Time = DateTimeOffset.UtcNow,
        Kind = "admin:" + action,
        Target = target,
        Outcome = outcome,
        Reason = detail,
    }, principal);

    private static AuditRecord WithPrincipal(AuditRecord record, Principal? principal) => principal is null ? record : record with
    {
        Subject = principal.Subject,
        Agent = principal.Agent,
        Tenant = principal.Tenant,
        Roles = principal.Roles,
        AuthMethod = principal.Method.ToString(),
        TokenId = principal.TokenId,
    };

    private static string Outcome(GovernedCall call) => call.Rejection?.Reason switch
    {
        null => call.Result is CallToolResult { IsError: true } ? "tool-error" : "success",
        RejectionReason.Forbidden or RejectionReason.UnknownTarget => "denied",
        RejectionReason.ApprovalRequired => "approval-required",
        RejectionReason.ApprovalDenied => "approval-denied",
        RejectionReason.Limited => "limited",
        RejectionReason.Killed => "killed",
        RejectionReason.Blocked => "blocked",
        RejectionReason.UpstreamError => "upstream-error",
        _ => "unavailable",
    };

    /// <summary>Redacted arguments (secrets and personal data replaced) and the SHA-256 of the full, canonical arguments.</summary>
    public static (string? Redacted, string? Hash) Arguments(GovernedCall call)
    {
        IDictionary<string, JsonElement>? arguments = call.Params switch
        {
            CallToolRequestParams tool => tool.Arguments,
            GetPromptRequestParams prompt => prompt.Arguments,
            _ => null,
        };
        if (arguments is null)
        {
            return (null, null);
        }

        var (canonical, hash) = CanonicalJson.CanonicalizeAndHash(arguments);
        return (PiiRedaction.Redact(ToolScanner.RedactSecrets(canonical, "arguments", out _)), hash);
    }

    private static string? Summary(Result? result)
    {
        var text = result switch
        {
            CallToolResult { Content: [TextContentBlock only] } => only.Text,
            CallToolResult tool => string.Join("\n", tool.Content.Select(c => c is TextContentBlock t ? t.Text : $"[{c.Type}]")),
            ReadResourceResult resource => string.Join("\n", resource.Contents.Select(c => c is TextResourceContents t ? t.Text : $"[blob {c.MimeType}]")),
            GetPromptResult prompt => $"{prompt.Messages.Count} messages",
            _ => null,
        };
        return text is null ? null : text.Length <= SummaryChars ? text : text[..SummaryChars] + "…";
    }
}
