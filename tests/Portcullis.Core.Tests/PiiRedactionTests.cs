using Portcullis.Audit;

namespace Portcullis.Core.Tests;

public sealed class PiiRedactionTests
{
    [Theory]
    [InlineData("""{"to":"alice.smith@example.com"}""", """{"to":"[email]"}""")]
    [InlineData("""{"card":"4111 1111 1111 1111"}""", """{"card":"[card]"}""")]
    [InlineData("""{"phone":"+1 415-555-0132"}""", """{"phone":"[phone]"}""")]
    [InlineData("""{"id":1234567812345678}""", """{"id":1234567812345678}""")]
    [InlineData("""{"title":"Printer on floor 3","count":42}""", """{"title":"Printer on floor 3","count":42}""")]
    public void Personal_data_is_replaced_and_ordinary_values_stay(string arguments, string expected) =>
        Assert.Equal(expected, PiiRedaction.Redact(arguments));
}
