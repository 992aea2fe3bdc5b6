namespace Portcullis.Audit;

/// <summary>
/// An audit record as an OCSF 1.1 "API Activity" event (category 6 Application Activity, class 6003), the shape SIEMs
/// (Splunk, Elastic, Datadog) ingest. The chain fields travel in <c>unmapped</c> so an exported event can still be
/// matched to its record.
/// </summary>
public static class OcsfEvent
{
    /// <summary>Maps a record.</summary>
    public static Dictionary<string, object?> From(AuditRecord record)
    {
        var success = record.Outcome is "success" or "intent";
        var activity = record.Kind switch
        {
            "tools/call" or "tools/call:intent" or "prompts/get" => (Id: 1, Name: "Create"),
            "resources/read" or "tools/list" or "prompts/list" or "resources/list" => (Id: 2, Name: "Read"),
            _ when record.Kind.StartsWith("admin:", StringComparison.Ordinal) => (Id: 3, Name: "Update"),
            _ => (Id: 99, Name: "Other"),
        };
        return new Dictionary<string, object?>
        {
            ["class_uid"] = 6003,
            ["class_name"] = "API Activity",
            ["category_uid"] = 6,
            ["category_name"] = "Application Activity",
            ["activity_id"] = activity.Id,
            ["activity_name"] = activity.Name,
            ["type_uid"] = (6003 * 100) + activity.Id,
            ["time"] = record.Time.ToUnixTimeMilliseconds(),
            ["severity_id"] = success ? 1 : 3,
            ["status"] = success ? "Success" : "Failure",
            ["status_id"] = success ? 1 : 2,
            ["status_detail"] = record.Reason,
            ["message"] = $"{record.Kind} {record.Target} by {record.Subject}: {record.Outcome}",
            ["actor"] = new Dictionary<string, object?>
            {
                ["user"] = new Dictionary<string, object?> { ["name"] = record.Subject, ["groups"] = record.Roles.Select(r => new { name = r }).ToArray(), ["org"] = record.Tenant is null ? null : new { name = record.Tenant } },
                ["app_name"] = record.Agent,
                ["session"] = record.SessionId is null ? null : new { uid = record.SessionId },
                ["authorizations"] = record.PolicyRule is null ? null : new[] { new { policy = new { name = record.PolicyRule, version = record.PolicyVersion }, decision = record.Outcome } },
            },
            ["api"] = new Dictionary<string, object?>
            {
                ["operation"] = record.Kind,
                ["service"] = new { name = record.ServerId ?? "portcullis" },
                ["request"] = new { uid = record.TraceId },
            },
            ["resources"] = record.Target is null ? null : new[] { new { name = record.Target, type = record.Kind } },
            ["duration"] = (long)record.LatencyMs,
            ["metadata"] = new { version = "1.1.0", product = new { name = "Portcullis", vendor_name = "Portcullis" }, uid = record.Hash, sequence = record.Seq },
            ["unmapped"] = new { record.Hash, record.PrevHash, record.ArgumentsHash, record.PinHash, record.Actions },
        };
    }
}
