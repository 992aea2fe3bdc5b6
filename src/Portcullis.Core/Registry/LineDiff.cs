namespace Portcullis.Registry;

/// <summary>A minimal line diff (longest common subsequence) for showing reviewers what changed.</summary>
public static class LineDiff
{
    /// <summary>Lines prefixed "  " (kept), "- " (removed) or "+ " (added).</summary>
    public static IEnumerable<string> Compare(string before, string after)
    {
        var a = before.Split('\n');
        var b = after.Split('\n');
        var lengths = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                lengths[i, j] = a[i] == b[j] ? lengths[i + 1, j + 1] + 1 : Math.Max(lengths[i + 1, j], lengths[i, j + 1]);
            }
        }

        int x = 0, y = 0;
        while (x < a.Length && y < b.Length)
        {
            if (a[x] == b[y])
            {
                yield return "  " + a[x++];
                y++;
            }
            else if (lengths[x + 1, y] >= lengths[x, y + 1])
            {
                yield return "- " + a[x++];
            }
            else
            {
                yield return "+ " + b[y++];
            }
        }

        while (x < a.Length)
        {
            yield return "- " + a[x++];
        }

        while (y < b.Length)
        {
            yield return "+ " + b[y++];
        }
    }
}
