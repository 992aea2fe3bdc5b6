using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Portcullis.Policy;

/// <summary>Evaluates <see cref="ArgumentConstraint"/>s against call arguments: a small, strict subset of JSON Schema.</summary>
internal static class ArgumentCheck
{
    private static readonly ConcurrentDictionary<string, Regex> Patterns = new(StringComparer.Ordinal);

    /// <summary>Returns why the arguments break the rule's constraints, or null when they satisfy them all.</summary>
    public static string? FirstViolation(PolicyRule rule, IDictionary<string, JsonElement>? arguments)
    {
        foreach (var name in rule.Require)
        {
            if (arguments is null || !arguments.ContainsKey(name))
            {
                return $"argument '{name}' is required";
            }
        }

        foreach (var name in rule.Forbid)
        {
            if (arguments is not null && arguments.ContainsKey(name))
            {
                return $"argument '{name}' is not allowed";
            }
        }

        foreach (var (name, constraint) in rule.Arguments)
        {
            if (arguments is null || !arguments.TryGetValue(name, out var value))
            {
                continue; // Absence is governed by require/forbid, not by value constraints.
            }

            if (Violation(constraint, value) is { } reason)
            {
                return $"argument '{name}' {reason}";
            }
        }

        return null;
    }

    /// <summary>Why <paramref name="value"/> breaks <paramref name="constraint"/>, or null.</summary>
    public static string? Violation(ArgumentConstraint constraint, JsonElement value)
    {
        if (constraint.Type is { } type && !HasType(value, type))
        {
            return $"must be of type {type}";
        }

        if (constraint.Enum is { } allowed)
        {
            var text = value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();
            if (!allowed.Contains(text, StringComparer.Ordinal))
            {
                return $"must be one of [{string.Join(", ", allowed)}]";
            }
        }

        if (constraint.Prefix is not null || constraint.Pattern is not null || constraint.MaxLength is not null)
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                return "must be a string";
            }

            var text = value.GetString()!;
            if (constraint.Prefix is { } prefix && !text.StartsWith(prefix, StringComparison.Ordinal))
            {
                return $"must start with '{prefix}'";
            }

            if (constraint.MaxLength is { } maxLength && text.Length > maxLength)
            {
                return $"must be at most {maxLength} characters";
            }

            if (constraint.Pattern is { } pattern && !Matches(pattern, text))
            {
                return $"must match /{pattern}/";
            }
        }

        if (constraint.Min is not null || constraint.Max is not null)
        {
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number))
            {
                return "must be a number";
            }

            if (number < constraint.Min)
            {
                return $"must be at least {constraint.Min.Value.ToString(CultureInfo.InvariantCulture)}";
            }

            if (number > constraint.Max)
            {
                return $"must be at most {constraint.Max.Value.ToString(CultureInfo.InvariantCulture)}";
            }
        }

        return null;
    }

    private static bool HasType(JsonElement value, string type) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "array" => value.ValueKind == JsonValueKind.Array,
        "object" => value.ValueKind == JsonValueKind.Object,
        _ => false,
    };

    private static bool Matches(string pattern, string text)
    {
        var regex = Patterns.GetOrAdd(pattern, p => new Regex(p, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50)));
        try
        {
            return regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false; // A pathological input fails closed.
        }
    }
}
