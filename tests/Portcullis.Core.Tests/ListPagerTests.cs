using ModelContextProtocol;
using Portcullis.Sessions;

namespace Portcullis.Core.Tests;

public sealed class ListPagerTests
{
    private static (IList<int> Items, string? Next) Page(List<int> items, string? cursor) => ListPager.Page(items, cursor, (page, next) => (page, next));

    [Fact]
    public void A_short_list_is_one_page_without_a_cursor()
    {
        var (items, next) = Page([.. Enumerable.Range(0, 10)], null);
        Assert.Equal(10, items.Count);
        Assert.Null(next);
    }

    [Fact]
    public void Following_the_cursors_yields_every_item_once_in_order()
    {
        var all = Enumerable.Range(0, ListPager.PageSize * 2 + 17).ToList();
        var seen = new List<int>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var (items, next) = Page(all, cursor);
            seen.AddRange(items);
            cursor = next;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(all, seen);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("LTE=")]      // "-1"
    [InlineData("OTk5OQ==")]  // "9999", past the end
    public void A_forged_cursor_is_invalid_params(string cursor)
    {
        var ex = Assert.Throws<McpProtocolException>(() => Page([.. Enumerable.Range(0, 500)], cursor));
        Assert.Equal(McpErrorCode.InvalidParams, ex.ErrorCode);
    }
}
