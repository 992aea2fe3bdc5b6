using System.Text.RegularExpressions;

namespace Portcullis.Audit;

/// <summary>
/// Removes personal data from what the audit record keeps of arguments: e-mail addresses, phone numbers and payment
/// card numbers (Luhn-checked). The record keeps the hash of the full arguments, so a disputed call can still be
/// matched against the original.
/// </summary>
public static partial class PiiRedaction
{
    /// <summary>Returns <paramref name="text"/> with personal data replaced by markers.</summary>
    public static string Redact(string text)
    {
        text = Email().Replace(text, "[email]");
        text = Card().Replace(text, m => IsLuhn(m.Value) ? "[card]" : m.Value);
        return Phone().Replace(text, "[phone]");
    }

    private static bool IsLuhn(string candidate)
    {
        var digits = candidate.Where(char.IsAsciiDigit).Select(c => c - '0').Reverse().ToArray();
        if (digits.Length is < 13 or > 19)
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = i % 2 == 1 ? digits[i] * 2 : digits[i];
            sum += d > 9 ? d - 9 : d;
        }

        return sum % 10 == 0;
    }

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", RegexOptions.CultureInvariant, 100)]
    private static partial Regex Email();

    [GeneratedRegex(@"\b(?:\d[ -]?){12,18}\d\b", RegexOptions.CultureInvariant, 100)]
    private static partial Regex Card();

    [GeneratedRegex(@"(?<![\w.])\+?\d{1,3}[ .-]?\(?\d{2,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}(?![\w.])", RegexOptions.CultureInvariant, 100)]
    private static partial Regex Phone();
}
