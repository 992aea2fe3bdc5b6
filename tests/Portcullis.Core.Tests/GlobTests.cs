using Portcullis.Routing;

namespace Portcullis.Core.Tests;

public sealed class GlobTests
{
    [Theory]
    [InlineData("tickets__list_*", "tickets__list_tickets", true)]
    [InlineData("tickets__list_*", "tickets__get_ticket", false)]
    [InlineData("tickets__*", "tickets__", true)]
    [InlineData("*__delete_*", "github__delete_repo", true)]
    [InlineData("tickets__get_ticke?", "tickets__get_ticket", true)]
    [InlineData("tickets__get_ticket", "tickets__get_tickets", false)]
    [InlineData("a*b*c", "aXXbYYc", true)]
    [InlineData("a*b*c", "aXXbYY", false)]
    public void Matches_like_a_shell_glob(string pattern, string name, bool expected) =>
        Assert.Equal(expected, Glob.IsMatch(pattern, name));
}
