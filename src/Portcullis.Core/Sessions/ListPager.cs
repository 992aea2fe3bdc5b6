using System.Globalization;
using System.Text;
using ModelContextProtocol;

namespace Portcullis.Sessions;

/// <summary>Pages list answers with an opaque cursor (the base64 of the next offset), as the protocol's pagination asks.</summary>
internal static class ListPager
{
    /// <summary>Items per page.</summary>
    public const int PageSize = 200;

    /// <summary>Returns the page that starts at <paramref name="cursor"/> (the first page when null).</summary>
    /// <exception cref="McpProtocolException">The cursor is not one this gateway handed out for a list this long.</exception>
    public static TResult Page<TItem, TResult>(List<TItem> items, string? cursor, Func<IList<TItem>, string?, TResult> create)
    {
        var offset = 0;
        if (cursor is not null && !TryDecode(cursor, out offset) || offset < 0 || offset > items.Count)
        {
            throw new McpProtocolException("Invalid cursor: pass back the nextCursor of the previous page unchanged.", McpErrorCode.InvalidParams);
        }

        if (offset == 0 && items.Count <= PageSize)
        {
            return create(items, null);
        }

        var end = Math.Min(items.Count, offset + PageSize);
        var next = end < items.Count ? Convert.ToBase64String(Encoding.ASCII.GetBytes(end.ToString(CultureInfo.InvariantCulture))) : null;
        return create(items.GetRange(offset, end - offset), next);
    }

    private static bool TryDecode(string cursor, out int offset)
    {
        offset = 0;
        Span<byte> buffer = stackalloc byte[16];
        return Convert.TryFromBase64String(cursor, buffer, out var written)
            && int.TryParse(Encoding.ASCII.GetString(buffer[..written]), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
    }
}
