using System.Text.Json;
using Portcullis.Registry;

namespace Portcullis.Core.Tests;

public class CanonicalJsonTests
{
    [Fact]
    public void Arguments_canonicalize_to_sorted_compact_json_whose_hash_is_that_of_the_text()
    {
        using var document = JsonDocument.Parse("""
            { "zeta": [3, {"b": 1, "a": "x"}], "alpha": {"y": null, "x": true}, "Beta": "é \"q\" <tag>", "n": 1.50 }
            """);
        var members = document.RootElement.EnumerateObject().Select(p => KeyValuePair.Create(p.Name, p.Value)).ToList();

        var (text, hash) = CanonicalJson.CanonicalizeAndHash(members);

        Assert.Equal("""{"Beta":"é \"q\" <tag>","alpha":{"x":true,"y":null},"n":1.50,"zeta":[3,{"a":"x","b":1}]}""", text);
        Assert.Equal(CanonicalJson.Canonicalize(document.RootElement), text);
        Assert.Equal(CanonicalJson.Hash(text), hash);
    }
}
