namespace Portcullis.Scanning;

/// <summary>
/// The part of NFKC that the detectors depend on: characters that are compatibility forms of ASCII text (fullwidth
/// letters, mathematical bold and script letters, circled letters, ligatures, odd spaces) read as that text, so
/// "ＩＧＮＯＲＥ" or "𝐢𝐠𝐧𝐨𝐫𝐞" is seen as "IGNORE" and "ignore". string.Normalize cannot do it here: in invariant
/// globalization mode, which the gateway runs in, it returns the text unchanged. The table is generated from the
/// Unicode data by CompatibilityFolding.py.
/// </summary>
internal static partial class CompatibilityFolding
{
    /// <summary>The ASCII text NFKC maps <paramref name="codePoint"/> to, or empty when it maps to something else.</summary>
    public static ReadOnlySpan<char> Fold(int codePoint)
    {
        var index = CodePoints.BinarySearch(codePoint);
        if (index < 0)
        {
            return [];
        }

        var start = index == 0 ? 0 : Ends[index - 1];
        return Texts.AsSpan(start, Ends[index] - start);
    }
}
