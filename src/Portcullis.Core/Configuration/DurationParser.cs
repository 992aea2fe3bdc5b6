using System.Globalization;

namespace Portcullis.Configuration;

/// <summary>Parses durations written as <c>250ms</c>, <c>30s</c>, <c>5m</c>, <c>8h</c>, <c>1d</c>, or plain seconds.</summary>
public static class DurationParser
{
    /// <summary>Tries to parse <paramref name="text"/>.</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        text = text.Trim();
        var (digits, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], "ms")
            : text.Length > 0 && char.IsLetter(text[^1]) ? (text[..^1], text[^1..])
            : (text, "s");

        if (!double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        TimeSpan? parsed = unit switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            "d" => TimeSpan.FromDays(value),
            _ => null,
        };

        duration = parsed ?? default;
        return parsed is not null;
    }
}
