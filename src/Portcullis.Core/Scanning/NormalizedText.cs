using System.Text;

namespace Portcullis.Scanning;

/// <summary>
/// Server-provided text made safe to read and to scan: control characters and ANSI escapes removed, invisible
/// characters (zero-width, bidi controls, Unicode TAG characters) removed, compatibility forms of ASCII folded to it
/// (NFKC's mappings to ASCII, <see cref="CompatibilityFolding"/>). What was hidden is kept: text smuggled in TAG
/// characters is decoded, and base64 runs that decode to readable text are decoded, so the detectors see what a
/// model would.
/// </summary>
public sealed record NormalizedText(string Visible, IReadOnlyList<string> Hidden, IReadOnlyList<Finding> Findings)
{
    /// <summary>Normalizes <paramref name="raw"/>, reporting the hiding tricks found at <paramref name="location"/>.</summary>
    public static NormalizedText From(string raw, string location, bool binaryContent = false)
    {
        // Most tool output is plain printable ASCII: nothing to remove or fold.
        var first = raw.AsSpan().IndexOfAnyExcept(PlainAscii);
        if (first < 0)
        {
            return new NormalizedText(raw, binaryContent ? [] : DecodedBase64Runs(raw), []);
        }

        var findings = new List<Finding>();
        var hidden = new List<string>();
        var tagText = new StringBuilder();
        var ansi = false;
        var controls = 0;
        var zeroWidth = 0;
        var bidi = 0;

        // Text is copied only once something in it is dropped or folded: most non-ASCII text (accents, dashes, other
        // scripts) is kept whole and not rebuilt. raw[kept..] is what is kept and not yet copied.
        StringBuilder? visible = null;
        var kept = 0;
        for (var i = first; i < raw.Length; i++)
        {
            // Plain text is kept: go to the next character that needs a look.
            if (raw.AsSpan(i).IndexOfAnyExcept(PlainAscii) is var plain and not 0)
            {
                i = plain < 0 ? raw.Length - 1 : i + plain - 1;
                continue;
            }

            var start = i;
            var c = raw[i];
            ReadOnlySpan<char> replacement = [];
            if (char.IsHighSurrogate(c) && i + 1 < raw.Length && char.IsLowSurrogate(raw[i + 1]))
            {
                var codePoint = char.ConvertToUtf32(c, raw[i + 1]);
                i++;
                if (codePoint is >= 0xE0000 and <= 0xE007F)
                {
                    // Unicode TAG characters mirror ASCII invisibly: decode what they spell.
                    if (codePoint is >= 0xE0020 and <= 0xE007E)
                    {
                        tagText.Append((char)(codePoint - 0xE0000));
                    }
                }
                else if ((replacement = CompatibilityFolding.Fold(codePoint)).IsEmpty)
                {
                    continue;
                }
            }
            else if (c == '\u001b')
            {
                ansi = true;
                // Skip a CSI sequence (ESC [ params final) or a two-character escape.
                if (i + 1 < raw.Length && raw[i + 1] == '[')
                {
                    i += 2;
                    while (i < raw.Length && raw[i] is >= '0' and <= '?')
                    {
                        i++;
                    }
                }
                else
                {
                    i++;
                }

                i = Math.Min(i, raw.Length - 1);
            }
            else if ((char.IsControl(c) && c is not ('\n' or '\r' or '\t')) || c is >= '\u0080' and <= '\u009f')
            {
                controls++;
            }
            else if (c is '\u200b' or '\u200c' or '\u200e' or '\u200f' or '\u2060' or '\u2061' or '\u2062' or '\u2063' or '\u2064' or '\ufeff' or '\u00ad'
                // A zero-width joiner inside an emoji sequence is how emoji are written; anywhere else it hides.
                || (c == '\u200d' && !(IsEmojiNeighbour(raw, i - 1, backwards: true) && IsEmojiNeighbour(raw, i + 1, backwards: false))))
            {
                zeroWidth++;
            }
            else if (c is >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069')
            {
                bidi++;
            }
            else if ((replacement = CompatibilityFolding.Fold(c)).IsEmpty)
            {
                continue;
            }

            // raw[start..i] is dropped, or replaced by the ASCII it folds to.
            visible ??= new StringBuilder(raw.Length);
            visible.Append(raw, kept, start - kept).Append(replacement);
            kept = i + 1;
        }

        if (ansi || controls > 0)
        {
            findings.Add(new Finding("control-characters", Severity.High, location, ansi
                ? "ANSI escape sequences: terminals and some clients render them to hide or restyle text; they have no place in tool metadata"
                : $"{controls} control characters: they can hide text from a reviewer"));
        }

        if (zeroWidth > 0)
        {
            findings.Add(new Finding("invisible-characters", Severity.Medium, location, $"{zeroWidth} zero-width or invisible formatting characters"));
        }

        if (bidi > 0)
        {
            findings.Add(new Finding("bidi-controls", Severity.High, location, $"{bidi} bidirectional control characters: they can make text read differently than it is"));
        }

        if (tagText.Length > 0)
        {
            hidden.Add(tagText.ToString());
            findings.Add(new Finding("tag-characters", Severity.High, location, $"invisible Unicode TAG characters spell out hidden text: \"{Truncate(tagText.ToString())}\""));
        }

        var normalized = visible is null ? raw : visible.Append(raw, kept, raw.Length - kept).ToString();
        if (!binaryContent)
        {
            hidden.AddRange(DecodedBase64Runs(normalized));
        }

        return new NormalizedText(normalized, hidden, findings);
    }

    private static readonly System.Buffers.SearchValues<char> PlainAscii = System.Buffers.SearchValues.Create(
        "\t\n\r !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private static readonly System.Buffers.SearchValues<char> Base64Chars = System.Buffers.SearchValues.Create("+/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private const int MinBase64Run = 24;

    /// <summary>
    /// The readable text that base64 runs in <paramref name="text"/> decode to. A run is a maximal stretch of at
    /// least 24 base64 characters, with up to two '=' of padding. The search looks at 24 characters at a time and
    /// skips past the last one that cannot be in a run, so ordinary text (words shorter than 24 letters) costs one
    /// short search per word or two, not two per word.
    /// </summary>
    private static List<string> DecodedBase64Runs(string text)
    {
        var decoded = new List<string>();
        var span = text.AsSpan();
        var start = 0; // always where a run could begin: the start of the text or just after a non-base64 character
        while (start + MinBase64Run <= span.Length)
        {
            var gap = span.Slice(start, MinBase64Run).LastIndexOfAnyExcept(Base64Chars);
            if (gap >= 0)
            {
                start += gap + 1;
                continue;
            }

            var length = span[start..].IndexOfAnyExcept(Base64Chars) is var end and >= 0 ? end : span.Length - start;
            var next = start + length;
            var padding = 0;
            while (padding < 2 && next + padding < span.Length && span[next + padding] == '=')
            {
                padding++;
            }

            if (TryDecodeText(span.Slice(start, length + padding)) is { } readable)
            {
                decoded.Add(readable);
            }

            start = next;
        }

        return decoded;
    }

    /// <summary>The visible text followed by everything that was hidden, for detectors to read.</summary>
    public IEnumerable<string> AllText()
    {
        yield return Visible;
        foreach (var text in Hidden)
        {
            yield return text;
        }
    }

    internal static string Truncate(string text) => text.Length <= 80 ? text : text[..77] + "...";

    private static bool IsEmojiNeighbour(string text, int index, bool backwards)
    {
        if (index < 0 || index >= text.Length)
        {
            return false;
        }

        // Step over a variation selector or skin-tone modifier next to the joiner.
        if (text[index] == '\ufe0f')
        {
            index += backwards ? -1 : 1;
        }

        if (index < 0 || index >= text.Length)
        {
            return false;
        }

        int codePoint;
        if (backwards && char.IsLowSurrogate(text[index]) && index > 0)
        {
            codePoint = char.ConvertToUtf32(text[index - 1], text[index]);
        }
        else if (!backwards && char.IsHighSurrogate(text[index]) && index + 1 < text.Length)
        {
            codePoint = char.ConvertToUtf32(text[index], text[index + 1]);
        }
        else
        {
            codePoint = text[index];
        }

        return codePoint is >= 0x1F000 and <= 0x1FAFF or >= 0x2600 and <= 0x27BF;
    }

    /// <summary>
    /// The text <paramref name="candidate"/> decodes to (read as if padded to a multiple of four), if it is mostly
    /// printable UTF-8 with a letter and a space. Paths and identifiers are base64 characters too, so most candidates
    /// fail: they are checked without an exception, which would cost more than the rest of the scan.
    /// </summary>
    private static string? TryDecodeText(ReadOnlySpan<char> candidate)
    {
        var padded = candidate.Length + ((4 - (candidate.Length % 4)) % 4);
        var chars = System.Buffers.ArrayPool<char>.Shared.Rent(padded);
        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(padded);
        try
        {
            candidate.CopyTo(chars);
            chars.AsSpan(candidate.Length, padded - candidate.Length).Fill('=');
            if (!Convert.TryFromBase64Chars(chars.AsSpan(0, padded), bytes, out var written) || written < 12
                || !System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(0, written)))
            {
                return null;
            }

            var text = Encoding.UTF8.GetString(bytes, 0, written);
            var printable = text.Count(ch => !char.IsControl(ch) || ch is '\n' or '\t');
            return printable >= text.Length * 0.9 && text.Any(char.IsLetter) && text.Contains(' ') ? text : null;
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(chars);
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
