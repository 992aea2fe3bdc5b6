using System.Text.RegularExpressions;

namespace Portcullis.Scanning;

/// <summary>
/// Deterministic detectors for the classes of tool poisoning and prompt injection: hidden instruction blocks, fake
/// role markers, instruction overrides, concealment, secret-file paths and credential requests, exfiltration targets,
/// references to other servers' tools, padding. Each reports a severity and a reason; none needs a model.
/// </summary>
internal static partial class TextDetectors
{
    /// <summary>Findings in tool metadata text (descriptions, titles, schema strings).</summary>
    public static IEnumerable<Finding> ScanMetadata(string text, string location, ScanContext context, string? selfName)
    {
        foreach (var finding in ScanInstructions(text, location))
        {
            yield return finding;
        }

        foreach (var reference in CrossServerReferences(text, context, selfName))
        {
            yield return new Finding("cross-server-reference", Severity.High, location, $"refers to tool '{reference}', which this server does not expose: a tool description should not steer how other servers' tools are used (shadowing)");
        }

        if (Padding().IsMatch(text))
        {
            yield return new Finding("whitespace-padding", Severity.Medium, location, "long runs of whitespace push text out of view in most clients");
        }
    }

    /// <summary>Findings common to metadata and to content a model will read (tool results).</summary>
    public static IEnumerable<Finding> ScanInstructions(string text, string location)
    {
        if (PseudoTag().Match(text) is { Success: true } tag)
        {
            yield return new Finding("hidden-block", Severity.Critical, location, $"pseudo-tag {tag.Value.Trim()} wraps instructions aimed at the model, not the user");
        }

        foreach (Match comment in HtmlComment().Matches(text))
        {
            var inner = comment.Groups[1].Value;
            var hostile = Imperative().IsMatch(inner) || FirstMatch(SecretPaths, inner).Success || RoleMarker().IsMatch(inner);
            yield return new Finding("html-comment", hostile ? Severity.Critical : Severity.High, location,
                $"HTML comment, invisible when rendered{(hostile ? ", carrying instructions" : "")}: \"{NormalizedText.Truncate(inner.Trim())}\"");
        }

        if (RoleMarker().Match(text) is { Success: true } role)
        {
            yield return new Finding("fake-role-marker", Severity.High, location, $"'{role.Value.Trim()}' impersonates a system or developer message");
        }

        if (Override().Match(text) is { Success: true } overriding)
        {
            yield return new Finding("instruction-override", Severity.High, location, $"tries to override the agent's instructions or safeguards: \"{overriding.Value}\"");
        }

        if (FirstMatch(Concealment, text) is { Success: true } concealment)
        {
            yield return new Finding("concealment", Severity.Critical, location, $"asks the agent to hide what it does from the user: \"{concealment.Value}\"");
        }

        var secretPath = FirstMatch(SecretPaths, text);
        if (secretPath.Success)
        {
            var requested = AccessVerb().IsMatch(text);
            yield return new Finding("secret-path", requested ? Severity.Critical : Severity.High, location,
                $"names a secret-bearing file '{secretPath.Value}'{(requested ? " and asks for it to be read or passed on" : "")}");
        }

        if (CredentialRequest().Match(text) is { Success: true } credential)
        {
            yield return new Finding("credential-request", Severity.High, location, $"asks for credentials to be passed along: \"{credential.Value}\"");
        }

        if (FirstMatch(Exfiltration, text) is { Success: true } exfiltration)
        {
            yield return new Finding("exfiltration", Severity.Critical, location, $"directs data or commands to an outside target: \"{NormalizedText.Truncate(exfiltration.Value)}\"");
        }
    }

    /// <summary>The first pattern's match that succeeds, else a failed match.</summary>
    private static Match FirstMatch(Regex[] patterns, string text)
    {
        foreach (var pattern in patterns)
        {
            if (pattern.Match(text) is { Success: true } match)
            {
                return match;
            }
        }

        return Match.Empty;
    }

    // A detector whose wordings start differently is several patterns, each starting with its own literal words: the
    // engine then searches for those words. Mixed in one alternation, it falls back to searching for any of their
    // first letters (or second letters), which in prose means running the pattern at nearly every word; a scan cost
    // three to six times as much per detector that way.
    private static readonly Regex[] Concealment = [ConcealmentByNegation(), ConcealmentOfIt(), ConcealmentWithout(), ConcealmentKeep(), ConcealmentFromUser()];
    private static readonly Regex[] SecretPaths = [SecretPath(), SecretFileName()];
    private static readonly Regex[] Exfiltration = [PipeToShell(), SendToAddress(), SendToUrl()];

    /// <summary>True when any secret pattern matches: the common answer, false, costs no allocation.</summary>
    public static bool HasSecret(string text)
    {
        foreach (var (regex, _, _, _) in SecretPatterns)
        {
            if (regex.IsMatch(text))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Secrets in arguments or results: private keys, cloud keys, tokens, assignments of secrets.</summary>
    public static IEnumerable<(Finding Finding, Match Match)> ScanSecrets(string text, string location)
    {
        foreach (var (regex, rule, severity, reason) in SecretPatterns)
        {
            foreach (Match match in regex.Matches(text))
            {
                yield return (new Finding(rule, severity, location, reason), match);
            }
        }
    }

    private const string TokenReason = "an API token (GitHub, Slack, OpenAI, Anthropic or Portcullis format)";

    // The token formats are one pattern each, like the detectors above: in one case-sensitive alternation the engine
    // searched for their second letters and cost ten times as much.
    private static readonly (Regex Regex, string Rule, Severity Severity, string Reason)[] SecretPatterns =
    [
        (PrivateKey(), "secret-private-key", Severity.Critical, "a private key"),
        (CloudKey(), "secret-cloud-key", Severity.High, "an AWS access key id"),
        (Jwt(), "secret-jwt", Severity.High, "a JSON Web Token"),
        (GitHubToken(), "secret-token", Severity.High, TokenReason),
        (SlackToken(), "secret-token", Severity.High, TokenReason),
        (ProviderKey(), "secret-token", Severity.High, TokenReason),
        (PortcullisToken(), "secret-token", Severity.High, TokenReason),
        (SecretAssignment(), "secret-assignment", Severity.High, "a value assigned to a secret-named key"),
    ];

    private static IEnumerable<string> CrossServerReferences(string text, ScanContext context, string? selfName)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match match in ToolReference().Matches(text))
        {
            var name = match.Groups["name"].Value;
            if (name.StartsWith("mcp_tool_", StringComparison.Ordinal))
            {
                name = name["mcp_tool_".Length..];
            }

            var explicitTool = match.Groups["tool"].Success || match.Value.StartsWith("mcp_tool_", StringComparison.Ordinal);
            if (name == selfName || context.OwnTools.Contains(name) || !(explicitTool || context.OtherTools.Contains(name)))
            {
                continue;
            }

            if (seen.Add(name))
            {
                yield return name;
            }
        }
    }

    [GeneratedRegex(@"<\s*/?\s*(important|system|instructions?|admin|secret|hidden|context|prompt|rules)\b[^>]{0,40}>", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex PseudoTag();

    [GeneratedRegex(@"<!--([\s\S]*?)(?:-->|$)", RegexOptions.CultureInvariant, 100)]
    private static partial Regex HtmlComment();

    // Upper-case only: "System:" in prose is common; an all-caps role label is a forged message boundary.
    [GeneratedRegex(@"(?<![^\s<\[(\-])(?:SYSTEM|ASSISTANT|DEVELOPER)\s*(?:DIRECTIVE|PROMPT|MESSAGE|OVERRIDE|INSTRUCTIONS?)?\s*:|\b(?:SYSTEM|DEVELOPER)\s+(?:DIRECTIVE|PROMPT|OVERRIDE)\b|\[\s*/?\s*(?:END\s+)?SYSTEM[^\]]*\]", RegexOptions.CultureInvariant, 100)]
    private static partial Regex RoleMarker();

    // Each branch starts with a literal word, so the engine looks for those words instead of trying every letter.
    [GeneratedRegex(@"ignore\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|other)\s+(?:instructions|prompts|rules|directions)|security\s+(?:restrictions|safeguards|guardrails|rules|policies)\s+(?:are|is|have\s+been)\s+(?:now\s+|hereby\s+|temporarily\s+)?(?:suspended|disabled|lifted|removed|void)|(?:restrictions|safeguards|guardrails|rules|policies)\s+(?:are|is|have\s+been)\s+(?:now\s+|hereby\s+|temporarily\s+)?(?:suspended|disabled|lifted|removed|void)|takes?\s+precedence\s+over\s+(?:all\s+|any\s+)?(?:other|previous|prior)\s+instructions|without\s+(?:any\s+|additional\s+|further\s+)?(?:user\s+)?(?:confirmation|approval|asking)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex Override();

    [GeneratedRegex(@"(?:do\s+not|don'?t|never|must\s+not|should\s+not)\s+(?:tell|mention|inform|reveal|show|disclose|notify|alert|let)\b[^.\n]{0,40}?\b(?:user|human|anyone|them)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex ConcealmentByNegation();

    [GeneratedRegex(@"(?:do\s+not|don'?t|never)\s+(?:mention|tell|reveal|disclose)\s+(?:it|this|that)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex ConcealmentOfIt();

    [GeneratedRegex(@"without\s+(?:telling|informing|notifying|alerting|asking)\s+the\s+user", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex ConcealmentWithout();

    // K is spelled case-sensitively: under IgnoreCase 'k' also matches the Kelvin sign, and the engine then searches
    // for the first letters instead of the words (the Kelvin sign reaches the detectors folded to 'K' anyway).
    [GeneratedRegex(@"(?:(?-i:[Kk])eep|hide)\s+(?:this|it)\s+(?:secret|hidden|from\s+the\s+user)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex ConcealmentKeep();

    // Starts at "user" (looking back for "the"): starting at "the" would try a match at every "the" in the text.
    [GeneratedRegex(@"(?<=\bthe\s+)user\s+(?:must|should)\s+not\s+(?:know|see|notice)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex ConcealmentFromUser();

    // Every branch starts with a fixed character or word: an optional leading group would make the engine try a
    // match at every position of the text (this one regex then cost more than all the others together).
    [GeneratedRegex(@"(?:~|\$HOME|/home/[\w.-]+|/root)/\.(?:ssh|aws|gnupg|kube|docker|config/gcloud)\b[\w./-]*|/\.(?:ssh|aws|gnupg|kube|docker|config/gcloud)\b[\w./-]*|\.aws/credentials|\.(?:cursor|claude|vscode)/mcp\.json\b|/etc/(?:passwd|shadow|sudoers)\b|\.(?:npmrc|netrc|pgpass|git-credentials)\b|(?<![^\s`'""/])\.env(?:\.\w+)?\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex SecretPath();

    [GeneratedRegex(@"\bid_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?\b|\bmcp\.json\b|claude_desktop_config\.json|\bwallet\.dat\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex SecretFileName();

    [GeneratedRegex(@"\b(?:read|cat|open|load|pass|send|include|upload|attach|append|concatenate|forward|copy)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex AccessVerb();

    [GeneratedRegex(@"\b(?:read|call|run|execute|send|include|pass|forward|fetch|upload|ignore|always|must|before|delete)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex Imperative();

    [GeneratedRegex(@"\b(?:include|send|pass|provide|append|attach|forward|upload|paste|share)\b[^.\n]{0,60}?\b(?:passwords?|passwd|api[_ -]?keys?|secrets?|credentials?|private\s+keys?|ssh\s+keys?|access\s+tokens?|session\s+tokens?)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex CredentialRequest();

    [GeneratedRegex(@"\b(?:curl|wget)\b[^|\n]{0,200}\|\s*(?:ba|z)?sh\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex PipeToShell();

    [GeneratedRegex(@"\b(?:send|forward|post|upload|copy|bcc|cc|email|mail|redirect)\b[^\n]{0,80}?\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex SendToAddress();

    [GeneratedRegex(@"\b(?:send|forward|post|upload|exfiltrate)\b[^.\n]{0,60}?https?://[^\s""'<>]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex SendToUrl();

    [GeneratedRegex(@"(?:\bmcp_tool_(?<name>[a-z0-9_]+))|\b(?<name>[a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b(?<tool>\s+tool\b)?", RegexOptions.CultureInvariant, 100)]
    private static partial Regex ToolReference();

    [GeneratedRegex(@"[ \t\u00a0]{40,}|\n{15,}", RegexOptions.CultureInvariant, 100)]
    private static partial Regex Padding();

    [GeneratedRegex(@"-----BEGIN [A-Z ]*PRIVATE KEY-----", RegexOptions.CultureInvariant, 100)]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", RegexOptions.CultureInvariant, 100)]
    private static partial Regex CloudKey();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}", RegexOptions.CultureInvariant, 100)]
    private static partial Regex Jwt();

    [GeneratedRegex(@"\bgh[pousr]_[A-Za-z0-9]{30,}\b", RegexOptions.CultureInvariant, 100)]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"\bxox[abprs]-[A-Za-z0-9-]{10,}\b", RegexOptions.CultureInvariant, 100)]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"\bsk-(?:ant-)?[A-Za-z0-9_-]{20,}\b", RegexOptions.CultureInvariant, 100)]
    private static partial Regex ProviderKey();

    [GeneratedRegex(@"\bpcm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\b", RegexOptions.CultureInvariant, 100)]
    private static partial Regex PortcullisToken();

    [GeneratedRegex(@"\b(?:api[_-]?key|secret(?:[_-]?key)?|password|passwd|access[_-]?token|auth[_-]?token|client[_-]?secret)\s*[=:]\s*[""']?[^\s""',;]{4,}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 100)]
    private static partial Regex SecretAssignment();
}
