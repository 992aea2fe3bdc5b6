using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Portcullis.Policy;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Portcullis.Configuration;

/// <summary>
/// Reads the YAML configuration strictly: every key must be known, every value well-typed, and every problem is
/// reported with its key path and line. Mapping is explicit (not reflection) so the error for a bad value can say
/// what is accepted.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Loads and validates the file at <paramref name="path"/>.</summary>
    /// <exception cref="ConfigException">The file is unreadable or invalid.</exception>
    public static GatewayConfig LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(path, [new ConfigError("(file)", 0, 0, ex.Message)]);
        }

        return Parse(text, Path.GetFullPath(path));
    }

    /// <summary>Parses and validates configuration text. <paramref name="sourcePath"/> anchors relative paths.</summary>
    public static GatewayConfig Parse(string yaml, string? sourcePath = null)
    {
        var reader = new Reader();
        var config = reader.Read(yaml) with
        {
            Version = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(yaml))),
            SourcePath = sourcePath,
        };

        if (reader.Errors.Count == 0)
        {
            foreach (var rule in ConfigRules.All)
            {
                rule.Check(config, reader.Lines, reader.Errors);
            }
        }

        if (reader.Errors.Count > 0)
        {
            throw new ConfigException(sourcePath ?? "(text)", reader.Errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList());
        }

        return config;
    }

    /// <summary>Runs the validation rules on a configuration built in code (e.g. one with API-submitted servers added).</summary>
    public static IReadOnlyList<ConfigError> Validate(GatewayConfig config)
    {
        var errors = new List<ConfigError>();
        var noLines = new Dictionary<string, YamlDotNet.Core.Mark>(StringComparer.Ordinal);
        foreach (var rule in ConfigRules.All)
        {
            rule.Check(config, noLines, errors);
        }

        return errors;
    }

    private sealed class Reader
    {
        public List<ConfigError> Errors { get; } = [];

        /// <summary>Line of each key path, so rules that run after mapping can still point at the file.</summary>
        public Dictionary<string, Mark> Lines { get; } = new(StringComparer.Ordinal);

        public GatewayConfig Read(string yaml)
        {
            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(yaml));
            }
            catch (YamlException ex)
            {
                Errors.Add(new ConfigError("(yaml)", (int)ex.Start.Line, (int)ex.Start.Column, ex.InnerException?.Message ?? ex.Message));
                return new GatewayConfig();
            }

            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            {
                return new GatewayConfig();
            }

            if (stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                Error("(root)", stream.Documents[0].RootNode, "the file must be a mapping with keys gateway, storage, servers, virtualServers");
                return new GatewayConfig();
            }

            var config = new GatewayConfig();
            foreach (var (key, value) in Entries(root, "", "gateway", "auth", "policy", "approvals", "idempotency", "secrets", "audit", "telemetry", "storage", "servers", "virtualServers"))
            {
                config = key switch
                {
                    "secrets" => config with { Secrets = ReadSecrets(value) },
                    "idempotency" => config with { Idempotency = ReadIdempotency(value) },
                    "approvals" => config with { Approvals = ReadApprovals(value) },
                    "telemetry" => config with { Telemetry = ReadTelemetry(value) },
                    "audit" => config with { Audit = ReadAudit(value) },
                    "policy" => config with { Policy = ReadPolicy(value) },
                    "gateway" => config with { Gateway = ReadFrontDoor(value) },
                    "auth" => config with { Auth = ReadAuth(value) },
                    "storage" => config with { Storage = ReadStorage(value) },
                    "servers" => config with { Servers = ReadList(value, "servers", ReadServer) },
                    _ => config with { VirtualServers = ReadList(value, "virtualServers", ReadVirtualServer) },
                };
            }

            return config;
        }

        private FrontDoorConfig ReadFrontDoor(YamlNode node)
        {
            var result = new FrontDoorConfig();
            foreach (var (key, value) in Entries(node, "gateway", "listen", "publicUrl", "maxRequestBodyBytes", "allowedOrigins", "allowedHosts", "sessionIdleTimeout", "logFormat"))
            {
                var path = "gateway." + key;
                result = key switch
                {
                    "listen" => result with { Listen = ReadAbsoluteUri(value, path)?.ToString().TrimEnd('/') ?? result.Listen },
                    "publicUrl" => result with { PublicUrl = ReadAbsoluteUri(value, path) },
                    "logFormat" => result with { LogFormat = ReadOneOf(value, path, "text", "json") ?? result.LogFormat },
                    "maxRequestBodyBytes" => result with { MaxRequestBodyBytes = ReadLong(value, path, min: 1024) ?? result.MaxRequestBodyBytes },
                    "allowedOrigins" => result with { AllowedOrigins = ReadStrings(value, path) },
                    "allowedHosts" => result with { AllowedHosts = ReadStrings(value, path) },
                    _ => result with { SessionIdleTimeout = ReadDuration(value, path) ?? result.SessionIdleTimeout },
                };
            }

            return result;
        }

        private SecretsConfig ReadSecrets(YamlNode node)
        {
            var result = new SecretsConfig();
            foreach (var (key, value) in Entries(node, "secrets", "keyFile", "rotationWarning", "vault"))
            {
                result = key switch
                {
                    "keyFile" => result with { KeyFile = ReadString(value, "secrets.keyFile") },
                    "vault" => result with { Vault = ReadVault(value, "secrets.vault") },
                    _ => result with { RotationWarning = ReadDuration(value, "secrets.rotationWarning") ?? result.RotationWarning },
                };
            }

            return result;
        }

        private VaultConfig? ReadVault(YamlNode node, string path)
        {
            var result = new VaultConfig { Address = new Uri("http://unset") };
            var hasAddress = false;
            foreach (var (key, value) in Entries(node, path, "address", "mount", "prefix", "namespace", "tokenEnv", "tokenFile", "roleId", "secretIdEnv", "secretIdFile", "appRoleMount", "timeout"))
            {
                var keyPath = path + "." + key;
                result = key switch
                {
                    "address" => ReadAbsoluteUri(value, keyPath) is { } address ? result with { Address = address } : result,
                    "mount" => result with { Mount = ReadString(value, keyPath)?.Trim('/') ?? result.Mount },
                    "prefix" => result with { Prefix = ReadString(value, keyPath)?.Trim('/') ?? result.Prefix },
                    "namespace" => result with { Namespace = ReadString(value, keyPath) },
                    "tokenEnv" => result with { TokenEnv = ReadString(value, keyPath) },
                    "tokenFile" => result with { TokenFile = ReadString(value, keyPath) },
                    "roleId" => result with { RoleId = ReadString(value, keyPath) },
                    "secretIdEnv" => result with { SecretIdEnv = ReadString(value, keyPath) },
                    "secretIdFile" => result with { SecretIdFile = ReadString(value, keyPath) },
                    "appRoleMount" => result with { AppRoleMount = ReadString(value, keyPath)?.Trim('/') ?? result.AppRoleMount },
                    _ => result with { Timeout = ReadDuration(value, keyPath) ?? result.Timeout },
                };
                hasAddress |= key == "address";
            }

            var tokenAuth = result.TokenEnv is not null || result.TokenFile is not null;
            var appRole = result.RoleId is not null || result.SecretIdEnv is not null || result.SecretIdFile is not null;
            if (!hasAddress)
            {
                Error(path, node, "address is required");
            }
            else if (tokenAuth == appRole)
            {
                Error(path, node, "give either token auth (tokenEnv or tokenFile) or AppRole auth (roleId with secretIdEnv or secretIdFile)");
            }
            else if (appRole && (result.RoleId is null || (result.SecretIdEnv is null && result.SecretIdFile is null)))
            {
                Error(path, node, "AppRole auth needs roleId and one of secretIdEnv, secretIdFile");
            }

            return result;
        }

        private WebhookConfig ReadWebhook(YamlNode node, string path)
        {
            var result = new WebhookConfig { Url = new Uri("about:blank") };
            var hasUrl = false;
            foreach (var (key, value) in Entries(node, path, "url", "secret", "secretEnv"))
            {
                switch (key)
                {
                    case "url":
                        hasUrl = true;
                        result = result with { Url = ReadAbsoluteUri(value, path + ".url") ?? result.Url };
                        break;
                    case "secret":
                        result = result with { Secret = ReadString(value, path + ".secret") };
                        break;
                    default:
                        result = result with { SecretEnv = ReadString(value, path + ".secretEnv") };
                        break;
                }
            }

            if (!hasUrl)
            {
                Error(path, node, "a webhook needs a url");
            }

            return result;
        }

        private IdempotencyConfig ReadIdempotency(YamlNode node)
        {
            var result = new IdempotencyConfig();
            foreach (var (key, value) in Entries(node, "idempotency", "window", "deriveKeys"))
            {
                result = key == "window"
                    ? result with { Window = ReadDuration(value, "idempotency.window") ?? result.Window }
                    : result with { DeriveKeys = ReadBool(value, "idempotency.deriveKeys") };
            }

            return result;
        }

        private ApprovalsConfig ReadApprovals(YamlNode node)
        {
            var result = new ApprovalsConfig();
            foreach (var (key, value) in Entries(node, "approvals", "wait", "expiry", "approverRoles", "twoPersonRisk", "webhooks"))
            {
                var path = "approvals." + key;
                result = key switch
                {
                    "wait" => result with { Wait = ReadDuration(value, path) ?? result.Wait },
                    "expiry" => result with { Expiry = ReadDuration(value, path) ?? result.Expiry },
                    "approverRoles" => result with { ApproverRoles = ReadStrings(value, path) },
                    "webhooks" => result with { Webhooks = ReadList(value, path, ReadWebhook) },
                    _ => result with { TwoPersonRisk = ReadStrings(value, path) },
                };
            }

            return result;
        }

        private TelemetryConfig ReadTelemetry(YamlNode node)
        {
            var result = new TelemetryConfig();
            foreach (var (key, value) in Entries(node, "telemetry", "otlpEndpoint", "exportInterval"))
            {
                result = key == "otlpEndpoint"
                    ? result with { OtlpEndpoint = ReadAbsoluteUri(value, "telemetry.otlpEndpoint") }
                    : result with { ExportInterval = ReadDuration(value, "telemetry.exportInterval") ?? result.ExportInterval };
            }

            return result;
        }

        private AuditConfig ReadAudit(YamlNode node)
        {
            var result = new AuditConfig();
            foreach (var (key, value) in Entries(node, "audit", "checkpointEvery", "checkpointInterval", "signingKey", "retention", "fsync"))
            {
                var path = "audit." + key;
                result = key switch
                {
                    "checkpointEvery" => result with { CheckpointEvery = (int)(ReadLong(value, path, min: 1) ?? result.CheckpointEvery) },
                    "checkpointInterval" => result with { CheckpointInterval = ReadDuration(value, path) ?? result.CheckpointInterval },
                    "retention" => result with { Retention = ReadDuration(value, path) },
                    "fsync" => result with { Fsync = ReadBool(value, path) },
                    _ => result with { SigningKey = ReadString(value, path) ?? result.SigningKey },
                };
            }

            return result;
        }

        private InspectionConfig ReadInspection(YamlNode node, string path)
        {
            var result = new InspectionConfig();
            foreach (var (key, value) in Entries(node, path, "injection", "secrets", "maxResultChars", "tools"))
            {
                var keyPath = path + "." + key;
                result = key switch
                {
                    "injection" => result with { Injection = ReadOneOf(value, keyPath, "annotate", "block", "off") ?? result.Injection },
                    "secrets" => result with { Secrets = ReadOneOf(value, keyPath, "redact", "block", "off") ?? result.Secrets },
                    "maxResultChars" => result with { MaxResultChars = (int?)ReadLong(value, keyPath, min: 1) },
                    _ => result with { ToolMaxResultChars = ReadStringMap(value, keyPath).ToDictionary(p => p.Key, p => int.TryParse(p.Value, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : ErrorValue(value, $"{keyPath}.{p.Key}"), StringComparer.Ordinal) },
                };
            }

            return result;
        }

        private int ErrorValue(YamlNode node, string path)
        {
            Error(path, node, "expected a whole number of at least 1");
            return 1;
        }

        private PolicyConfig ReadPolicy(YamlNode node)
        {
            var result = new PolicyConfig();
            foreach (var (key, value) in Entries(node, "policy", "rules", "risk", "riskDefaults", "limits", "budget"))
            {
                var path = "policy." + key;
                result = key switch
                {
                    "rules" => result with { Rules = ReadList(value, path, ReadRule) },
                    "risk" => result with { Risk = ReadList(value, path, ReadRisk) },
                    "riskDefaults" => result with { RiskDefaults = ReadRiskDefaults(value, path) },
                    "limits" => result with { Limits = ReadList(value, path, ReadLimit) },
                    _ => ReadBudget(value, path, result),
                };
            }

            return result;
        }

        private PolicyRule ReadRule(YamlNode node, string path)
        {
            var result = new PolicyRule { Id = "" };
            foreach (var (key, value) in Entries(node, path, "id", "roles", "tools", "prompts", "resources", "virtualServers", "effect", "when", "arguments", "require", "forbid", "approvers"))
            {
                var keyPath = path + "." + key;
                result = key switch
                {
                    "id" => result with { Id = ReadString(value, keyPath) ?? "" },
                    "roles" => result with { Roles = ReadStrings(value, keyPath) },
                    "tools" => result with { Tools = ReadStrings(value, keyPath) },
                    "prompts" => result with { Prompts = ReadStrings(value, keyPath) },
                    "resources" => result with { Resources = ReadStrings(value, keyPath) },
                    "virtualServers" => result with { VirtualServers = ReadStrings(value, keyPath) },
                    "effect" => result with { Effect = ReadEnum(value, keyPath, PolicyEffect.Deny) },
                    "when" => result with { When = ReadConditions(value, keyPath) },
                    "arguments" => result with { Arguments = ReadArguments(value, keyPath) },
                    "require" => result with { Require = ReadStrings(value, keyPath) },
                    "approvers" => result with { Approvers = (int)(ReadLong(value, keyPath, min: 1) ?? 1) },
                    _ => result with { Forbid = ReadStrings(value, keyPath) },
                };
            }

            return result;
        }

        private RuleConditions ReadConditions(YamlNode node, string path)
        {
            var result = new RuleConditions();
            foreach (var (key, value) in Entries(node, path, "tenants", "environments", "hours", "days"))
            {
                var keyPath = path + "." + key;
                switch (key)
                {
                    case "tenants":
                        result = result with { Tenants = ReadStrings(value, keyPath) };
                        break;
                    case "environments":
                        result = result with { Environments = ReadStrings(value, keyPath) };
                        break;
                    case "hours":
                        var text = ReadString(value, keyPath) ?? "";
                        var parts = text.Split('-', 2);
                        if (parts.Length == 2 && TimeOnly.TryParseExact(parts[0].Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from)
                            && TimeOnly.TryParseExact(parts[1].Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to))
                        {
                            result = result with { Hours = (from, to) };
                        }
                        else
                        {
                            Error(keyPath, value, "expected a UTC window such as 08:00-18:00");
                        }

                        break;
                    default:
                        var days = new List<DayOfWeek>();
                        foreach (var day in ReadStrings(value, keyPath))
                        {
                            var match = Enum.GetValues<DayOfWeek>().Where(d => d.ToString()[..3].Equals(day, StringComparison.OrdinalIgnoreCase)).ToArray();
                            if (match.Length == 1)
                            {
                                days.Add(match[0]);
                            }
                            else
                            {
                                Error(keyPath, value, $"'{day}' is not a weekday; use mon, tue, wed, thu, fri, sat, sun");
                            }
                        }

                        result = result with { Days = days };
                        break;
                }
            }

            return result;
        }

        private Dictionary<string, ArgumentConstraint> ReadArguments(YamlNode node, string path)
        {
            var result = new Dictionary<string, ArgumentConstraint>(StringComparer.Ordinal);
            if (node is not YamlMappingNode mapping)
            {
                Error(path, node, "expected a mapping of argument names to constraints");
                return result;
            }

            foreach (var (keyNode, value) in mapping.Children)
            {
                var name = (keyNode as YamlScalarNode)?.Value ?? "";
                var keyPath = path + "." + name;
                var constraint = new ArgumentConstraint();
                foreach (var (key, part) in Entries(value, keyPath, "enum", "pattern", "prefix", "min", "max", "maxLength", "type"))
                {
                    var partPath = keyPath + "." + key;
                    constraint = key switch
                    {
                        "enum" => constraint with { Enum = ReadStrings(part, partPath) },
                        "pattern" => constraint with { Pattern = ReadString(part, partPath) },
                        "prefix" => constraint with { Prefix = ReadString(part, partPath) },
                        "min" => constraint with { Min = ReadNumber(part, partPath) },
                        "max" => constraint with { Max = ReadNumber(part, partPath) },
                        "maxLength" => constraint with { MaxLength = (int?)ReadLong(part, partPath, min: 0) },
                        _ => constraint with { Type = ReadOneOf(part, partPath, "string", "number", "integer", "boolean", "array", "object") },
                    };
                }

                result[name] = constraint;
            }

            return result;
        }

        private RiskAssignment ReadRisk(YamlNode node, string path)
        {
            IReadOnlyList<string> tools = [];
            var riskClass = RiskClass.Read;
            foreach (var (key, value) in Entries(node, path, "tools", "class"))
            {
                if (key == "tools")
                {
                    tools = ReadStrings(value, path + ".tools");
                }
                else
                {
                    riskClass = ReadEnum(value, path + ".class", RiskClass.Read);
                }
            }

            return new RiskAssignment(tools, riskClass);
        }

        private Dictionary<RiskClass, PolicyEffect> ReadRiskDefaults(YamlNode node, string path)
        {
            var result = new Dictionary<RiskClass, PolicyEffect>();
            foreach (var (key, value) in Entries(node, path, "read", "write", "destructive", "external"))
            {
                result[Enum.Parse<RiskClass>(key, ignoreCase: true)] = ReadEnum(value, path + "." + key, PolicyEffect.Deny);
            }

            return result;
        }

        private RateLimitRule ReadLimit(YamlNode node, string path)
        {
            var result = new RateLimitRule { Id = "" };
            foreach (var (key, value) in Entries(node, path, "id", "per", "tools", "riskClass", "rate"))
            {
                var keyPath = path + "." + key;
                switch (key)
                {
                    case "id":
                        result = result with { Id = ReadString(value, keyPath) ?? "" };
                        break;
                    case "per":
                        result = result with { Per = ReadEnum(value, keyPath, RateLimitScope.Principal) };
                        break;
                    case "tools":
                        result = result with { Tools = ReadStrings(value, keyPath) };
                        break;
                    case "riskClass":
                        result = result with { RiskClass = ReadEnum(value, keyPath, RiskClass.Read) };
                        break;
                    default:
                        var text = ReadString(value, keyPath) ?? "";
                        var slash = text.IndexOf('/');
                        var window = slash > 0 ? text[(slash + 1)..].Trim() : "";
                        if (slash > 0 && int.TryParse(text[..slash], NumberStyles.None, CultureInfo.InvariantCulture, out var permits) && permits > 0
                            && DurationParser.TryParse(char.IsDigit(window.FirstOrDefault()) ? window : "1" + window, out var span) && span > TimeSpan.Zero)
                        {
                            result = result with { Permits = permits, Window = span };
                        }
                        else
                        {
                            Error(keyPath, value, "expected a rate such as 60/m, 10/30s or 1000/1h");
                        }

                        break;
                }
            }

            return result;
        }

        private PolicyConfig ReadBudget(YamlNode node, string path, PolicyConfig result)
        {
            foreach (var (key, value) in Entries(node, path, "daily", "costs"))
            {
                result = key == "daily"
                    ? result with { DailyBudget = (int?)ReadLong(value, path + ".daily", min: 1) }
                    : result with
                    {
                        Costs = ReadList(value, path + ".costs", (item, itemPath) =>
                        {
                            IReadOnlyList<string> tools = [];
                            var cost = 1;
                            foreach (var (k, v) in Entries(item, itemPath, "tools", "cost"))
                            {
                                if (k == "tools")
                                {
                                    tools = ReadStrings(v, itemPath + ".tools");
                                }
                                else
                                {
                                    cost = (int)(ReadLong(v, itemPath + ".cost", min: 0) ?? 1);
                                }
                            }

                            return (tools, cost);
                        }),
                    };
            }

            return result;
        }

        private double? ReadNumber(YamlNode node, string path)
        {
            if (node is YamlScalarNode { Value: { } text } && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            Error(path, node, "expected a number");
            return null;
        }

        private string? ReadOneOf(YamlNode node, string path, params string[] allowed)
        {
            if (node is YamlScalarNode { Value: { } text } && allowed.Contains(text, StringComparer.Ordinal))
            {
                return text;
            }

            Error(path, node, $"expected one of {string.Join(", ", allowed)}");
            return null;
        }

        private AuthConfig ReadAuth(YamlNode node)
        {
            var result = new AuthConfig();
            foreach (var (key, value) in Entries(node, "auth", "resource", "issuers", "scopes", "allowAnonymous", "sessionAbsoluteLifetime"))
            {
                var path = "auth." + key;
                result = key switch
                {
                    "resource" => result with { Resource = ReadAbsoluteUri(value, path) },
                    "issuers" => result with { Issuers = ReadList(value, path, ReadIssuer) },
                    "scopes" => result with { Scopes = ReadStrings(value, path) },
                    "allowAnonymous" => result with { AllowAnonymous = ReadBool(value, path) },
                    _ => result with { SessionAbsoluteLifetime = ReadDuration(value, path) ?? result.SessionAbsoluteLifetime },
                };
            }

            return result;
        }

        private IssuerConfig ReadIssuer(YamlNode node, string path)
        {
            var result = new IssuerConfig { Issuer = new Uri("about:blank") };
            var hasIssuer = false;
            foreach (var (key, value) in Entries(node, path, "issuer", "jwksUri", "subjectClaim", "rolesClaim", "agentClaim", "tenantClaim"))
            {
                var keyPath = path + "." + key;
                switch (key)
                {
                    case "issuer":
                        hasIssuer = true;
                        result = result with { Issuer = ReadAbsoluteUri(value, keyPath) ?? result.Issuer };
                        break;
                    case "jwksUri":
                        result = result with { JwksUri = ReadAbsoluteUri(value, keyPath) };
                        break;
                    default:
                        var claim = ReadString(value, keyPath) ?? "";
                        result = key switch
                        {
                            "subjectClaim" => result with { SubjectClaim = claim },
                            "rolesClaim" => result with { RolesClaim = claim },
                            "agentClaim" => result with { AgentClaim = claim },
                            _ => result with { TenantClaim = claim },
                        };
                        break;
                }
            }

            if (!hasIssuer)
            {
                Error(path, node, "every issuer needs an issuer URL");
            }

            return result;
        }

        private bool ReadBool(YamlNode node, string path)
        {
            if (node is YamlScalarNode { Value: "true" or "false" } scalar)
            {
                return scalar.Value == "true";
            }

            Error(path, node, "expected true or false");
            return false;
        }

        private StorageConfig ReadStorage(YamlNode node)
        {
            var result = new StorageConfig();
            foreach (var (key, value) in Entries(node, "storage", "sqlite", "postgres"))
            {
                result = key switch
                {
                    "sqlite" => result with { Sqlite = ReadString(value, "storage.sqlite") ?? result.Sqlite },
                    _ => result with { Postgres = ReadPostgres(value, "storage.postgres") },
                };
            }

            return result;
        }

        private PostgresConfig? ReadPostgres(YamlNode node, string path)
        {
            string? connectionString = null;
            string? passwordEnv = null;
            foreach (var (key, value) in Entries(node, path, "connectionString", "passwordEnv"))
            {
                if (key == "connectionString")
                {
                    connectionString = ReadString(value, path + ".connectionString");
                }
                else
                {
                    passwordEnv = ReadString(value, path + ".passwordEnv");
                }
            }

            if (string.IsNullOrWhiteSpace(connectionString))
            {
                Error(path, node, "connectionString is required (for example \"Host=db.internal;Database=portcullis;Username=portcullis\")");
                return null;
            }

            // A configuration file is read by many and often committed: a password in it is a leaked password.
            if (System.Text.RegularExpressions.Regex.IsMatch(connectionString, @"(^|;)\s*(password|pwd)\s*=", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
            {
                Error(path + ".connectionString", node, "the connection string must not hold the password: name the variable that holds it in passwordEnv, or set PGPASSWORD");
                return null;
            }

            return new PostgresConfig { ConnectionString = connectionString, PasswordEnv = passwordEnv };
        }

        private ServerConfig ReadServer(YamlNode node, string path)
        {
            var result = new ServerConfig { Id = "" };
            foreach (var (key, value) in Entries(node, path, "id", "transport", "description", "command", "args", "env", "inheritEnv", "cwd", "url", "headers", "timeout", "connectTimeout", "environment", "maxConcurrency", "preapproved", "inspect", "owner", "riskNotes", "isolation"))
            {
                var keyPath = path + "." + key;
                result = key switch
                {
                    "id" => result with { Id = ReadString(value, keyPath) ?? "" },
                    "transport" => result with { Transport = ReadEnum(value, keyPath, result.Transport) },
                    "description" => result with { Description = ReadString(value, keyPath) },
                    "owner" => result with { Owner = ReadString(value, keyPath) },
                    "riskNotes" => result with { RiskNotes = ReadString(value, keyPath) },
                    "command" => result with { Command = ReadString(value, keyPath) },
                    "args" => result with { Args = ReadStrings(value, keyPath) },
                    "env" => result with { Env = ReadStringMap(value, keyPath) },
                    "inheritEnv" => result with { InheritEnvironment = ReadStrings(value, keyPath) },
                    "cwd" => result with { WorkingDirectory = ReadString(value, keyPath) },
                    "url" => result with { Url = ReadAbsoluteUri(value, keyPath) },
                    "headers" => result with { Headers = ReadStringMap(value, keyPath) },
                    "timeout" => result with { RequestTimeout = ReadDuration(value, keyPath) ?? result.RequestTimeout },
                    "environment" => result with { Environment = ReadString(value, keyPath) },
                    "preapproved" => result with { Preapproved = ReadBool(value, keyPath) },
                    "inspect" => result with { Inspect = ReadInspection(value, keyPath) },
                    "maxConcurrency" => result with { MaxConcurrency = (int?)ReadLong(value, keyPath, min: 1) },
                    "isolation" => result with { Isolation = ReadIsolation(value, keyPath) },
                    _ => result with { ConnectTimeout = ReadDuration(value, keyPath) ?? result.ConnectTimeout },
                };
            }

            return result;
        }

        private IsolationConfig ReadIsolation(YamlNode node, string path)
        {
            var result = new IsolationConfig();
            foreach (var (key, value) in Entries(node, path, "memory", "cpuTime", "openFiles", "processes", "network", "filesystem"))
            {
                var keyPath = path + "." + key;
                result = key switch
                {
                    "memory" => result with { MemoryBytes = ReadSize(value, keyPath) },
                    "cpuTime" => result with { CpuTime = ReadDuration(value, keyPath) },
                    "openFiles" => result with { OpenFiles = (int?)ReadLong(value, keyPath, min: 16) },
                    "processes" => result with { Processes = (int?)ReadLong(value, keyPath, min: 1) },
                    "network" => result with { Network = ReadBool(value, keyPath) },
                    _ => result with { ReadOnlyFilesystem = ReadOneOf(value, keyPath, "full", "readonly") == "readonly" },
                };
            }

            return result;
        }

        /// <summary>A size in bytes: a whole number with an optional unit (KiB, MiB, GiB; KB, MB, GB).</summary>
        private long? ReadSize(YamlNode node, string path)
        {
            if (node is YamlScalarNode { Value: { } text })
            {
                var digits = text.TakeWhile(char.IsAsciiDigit).Count();
                long? unit = text[digits..].Trim() switch
                {
                    "" or "B" => 1,
                    "KiB" => 1L << 10,
                    "MiB" => 1L << 20,
                    "GiB" => 1L << 30,
                    "KB" => 1000,
                    "MB" => 1000_000,
                    "GB" => 1000_000_000,
                    _ => null,
                };
                if (digits > 0 && unit is { } multiplier && long.TryParse(text.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0 && number <= long.MaxValue / multiplier)
                {
                    return number * multiplier;
                }
            }

            Error(path, node, "expected a size such as 512MiB, 2GiB or a number of bytes");
            return null;
        }

        private VirtualServerConfig ReadVirtualServer(YamlNode node, string path)
        {
            var result = new VirtualServerConfig { Id = "" };
            foreach (var (key, value) in Entries(node, path, "id", "description", "tools"))
            {
                var keyPath = path + "." + key;
                result = key switch
                {
                    "id" => result with { Id = ReadString(value, keyPath) ?? "" },
                    "description" => result with { Description = ReadString(value, keyPath) },
                    _ => result with { Tools = ReadStrings(value, keyPath) },
                };
            }

            return result;
        }

        /// <summary>Yields the known entries of a mapping; reports unknown and repeated keys.</summary>
        private IEnumerable<(string Key, YamlNode Value)> Entries(YamlNode node, string path, params string[] known)
        {
            Lines[path] = node.Start;
            if (node is not YamlMappingNode mapping)
            {
                Error(path, node, $"expected a mapping with keys {string.Join(", ", known)}");
                yield break;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in mapping.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                var keyPath = path.Length == 0 ? key : path + "." + key;
                if (!known.Contains(key, StringComparer.Ordinal))
                {
                    var hint = known.FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
                    Error(keyPath, keyNode, hint is null
                        ? $"unknown key; expected one of {string.Join(", ", known)}"
                        : $"unknown key; did you mean '{hint}'? (keys are case-sensitive)");
                    continue;
                }

                if (!seen.Add(key))
                {
                    Error(keyPath, keyNode, "key appears more than once");
                    continue;
                }

                Lines[keyPath] = value.Start;
                yield return (key, value);
            }
        }

        private IReadOnlyList<T> ReadList<T>(YamlNode node, string path, Func<YamlNode, string, T> read)
        {
            if (node is YamlScalarNode { Value: null or "" } or YamlScalarNode { Tag.Value: "tag:yaml.org,2002:null" })
            {
                return [];
            }

            if (node is not YamlSequenceNode sequence)
            {
                Error(path, node, "expected a list");
                return [];
            }

            var items = new List<T>(sequence.Children.Count);
            for (var i = 0; i < sequence.Children.Count; i++)
            {
                items.Add(read(sequence.Children[i], $"{path}[{i}]"));
            }

            return items;
        }

        private string? ReadString(YamlNode node, string path)
        {
            if (node is YamlScalarNode scalar)
            {
                return scalar.Value;
            }

            Error(path, node, "expected a text value");
            return null;
        }

        private IReadOnlyList<string> ReadStrings(YamlNode node, string path) =>
            ReadList(node, path, (item, itemPath) => ReadString(item, itemPath) ?? "");

        private IReadOnlyDictionary<string, string> ReadStringMap(YamlNode node, string path)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            if (node is not YamlMappingNode mapping)
            {
                Error(path, node, "expected a mapping of names to text values");
                return map;
            }

            foreach (var (keyNode, value) in mapping.Children)
            {
                var key = (keyNode as YamlScalarNode)?.Value ?? "";
                if (!map.TryAdd(key, ReadString(value, $"{path}.{key}") ?? ""))
                {
                    Error($"{path}.{key}", keyNode, "key appears more than once");
                }
            }

            return map;
        }

        private long? ReadLong(YamlNode node, string path, long min)
        {
            if (node is YamlScalarNode { Value: { } text } && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min)
            {
                return value;
            }

            Error(path, node, $"expected a whole number of at least {min}");
            return null;
        }

        private TEnum ReadEnum<TEnum>(YamlNode node, string path, TEnum fallback)
            where TEnum : struct, Enum
        {
            var names = Enum.GetNames<TEnum>().Select(n => n.ToLowerInvariant()).ToArray();
            if (node is YamlScalarNode { Value: { } text } && names.Contains(text, StringComparer.Ordinal))
            {
                return Enum.Parse<TEnum>(text, ignoreCase: true);
            }

            Error(path, node, $"'{(node as YamlScalarNode)?.Value}' is not one of {string.Join(", ", names)}");
            return fallback;
        }

        private Uri? ReadAbsoluteUri(YamlNode node, string path)
        {
            if (node is YamlScalarNode { Value: { } text } && Uri.TryCreate(text, UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            {
                return uri;
            }

            Error(path, node, "expected an absolute http:// or https:// URL");
            return null;
        }

        private TimeSpan? ReadDuration(YamlNode node, string path)
        {
            if (node is YamlScalarNode { Value: { } text } && DurationParser.TryParse(text, out var duration) && duration > TimeSpan.Zero)
            {
                return duration;
            }

            Error(path, node, "expected a positive duration such as 500ms, 30s, 5m or 1h");
            return null;
        }

        private void Error(string path, YamlNode node, string message) =>
            Errors.Add(new ConfigError(path.Length == 0 ? "(root)" : path, (int)node.Start.Line, (int)node.Start.Column, message));
    }
}
