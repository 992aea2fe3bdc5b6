using Portcullis.Secrets;

namespace Portcullis.Core.Tests;

public sealed class VaultNameTests
{
    [Theory]
    [InlineData("gh-token", "gh-token")]
    [InlineData("member/portcullis/alice/tracker-token", "member~2Fportcullis~2Falice~2Ftracker-token")]
    [InlineData("member/https://idp.example/tenant/sub|42/tok", "member~2Fhttps~3A~2F~2Fidp.example~2Ftenant~2Fsub~7C42~2Ftok")]
    [InlineData("clé~1", "cl~C3~A9~7E1")]
    public void Names_become_one_vault_path_segment_and_come_back(string name, string segment)
    {
        Assert.Equal(segment, VaultSecretStore.Encode(name));
        Assert.Equal(name, VaultSecretStore.Decode(segment));
    }
}
